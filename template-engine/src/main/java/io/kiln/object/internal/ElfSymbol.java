package io.kiln.object.internal;

/** One ELF64 symbol. {@code section} is the section index ({@code st_shndx}). */
public record ElfSymbol(String name, int type, int bind, int section, long value, long size) {
    public static final int STT_OBJECT = 1;
    public static final int STT_FUNC = 2;
    public static final int STB_LOCAL = 0;
    public static final int STB_GLOBAL = 1;
    public static final int STB_WEAK = 2;

    public boolean isGlobalOrWeak() {
        return bind == STB_GLOBAL || bind == STB_WEAK;
    }
}
