package io.kiln.maven.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The clang a build used, cheaply recognizable without running it: how it was chosen (the
 * {@code kiln.clang} setting, {@code KILN_CLANG}, or the search of PATH), its path, and the size and
 * modification time of the file it resolves to. A package upgrade changes the latter. (A new clang
 * installed earlier on PATH is only noticed when something else is rebuilt.)
 */
public record CompilerStamp(String setting, String path, long size, long modified) {

    public static String setting(Path configured) {
        if (configured != null) {
            return "kiln.clang=" + configured;
        }
        String env = System.getenv("KILN_CLANG");
        return env != null && !env.isBlank() ? "KILN_CLANG=" + env.trim() : "PATH";
    }

    public static CompilerStamp of(String setting, Path clang) {
        try {
            Path real = clang.toRealPath();
            return new CompilerStamp(setting, clang.toString(), Files.size(real),
                    Files.getLastModifiedTime(real).toMillis());
        } catch (IOException e) {
            return new CompilerStamp(setting, clang.toString(), -1, -1);
        }
    }

    /** Why the compiler is not the one this stamp records, or null when it is. */
    public String change(String currentSetting) {
        if (!setting.equals(currentSetting)) {
            return "the clang setting changed (" + setting + " -> " + currentSetting + ")";
        }
        CompilerStamp now = of(setting, Path.of(path));
        if (now.size != size || now.modified != modified) {
            return "clang at " + path + " changed";
        }
        return null;
    }
}
