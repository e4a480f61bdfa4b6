package io.kiln.template.internal;

import java.util.Set;
import java.util.regex.Pattern;

/** What may be pasted into C as a name: template, program, map, constant and identifier values. */
public final class CNames {
    private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    /** C11 keywords plus the few GNU ones clang accepts in BPF code. A name equal to one breaks the build. */
    private static final Set<String> C_KEYWORDS = Set.of(
            "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else", "enum",
            "extern", "float", "for", "goto", "if", "inline", "int", "long", "register", "restrict", "return",
            "short", "signed", "sizeof", "static", "struct", "switch", "typedef", "union", "unsigned", "void",
            "volatile", "while", "_Alignas", "_Alignof", "_Atomic", "_Bool", "_Complex", "_Generic",
            "_Imaginary", "_Noreturn", "_Static_assert", "_Thread_local", "asm", "typeof", "__asm__",
            "__attribute__", "__typeof__", "__inline__", "__volatile__");

    private CNames() {
    }

    /** Null when {@code name} is a usable C identifier, otherwise why not. */
    public static String problem(String name) {
        String syntax = syntaxProblem(name);
        if (syntax != null) {
            return syntax;
        }
        if (C_KEYWORDS.contains(name)) {
            return "'" + name + "' is a C keyword";
        }
        return null;
    }

    /** Like {@link #problem} but allows keywords: for words that only ever become part of a C name. */
    public static String syntaxProblem(String name) {
        if (!IDENTIFIER.matcher(name).matches()) {
            return "'" + name + "' is not a C identifier (letters, digits and _, not starting with a digit)";
        }
        return null;
    }

    public static boolean isIdentifier(String name) {
        return problem(name) == null;
    }
}
