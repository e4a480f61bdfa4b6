package io.kiln.template.internal;

import java.nio.file.Path;

/** What a template may not contain, checked on its text before FreeMarker parses it. */
final class TemplateChecks {
    private static final String CODE = "it runs template text built at render time, past Kiln's checks";
    private static final String JAVA = "it reaches Java classes";
    private static final java.util.Map<String, String> REFUSED_BUILT_INS = java.util.Map.of(
            "interpret", CODE, "eval", CODE, "eval_json", CODE, "evalJson", CODE, "new", JAVA, "api", JAVA);
    private static final java.util.Map<String, String> REFUSED_SPECIALS = java.util.Map.of(
            "now", "the output must depend only on the template and its build parameters");

    private TemplateChecks() {
    }

    static void check(Path file, String text) throws TemplateRejectedException {
        int reserved = LineMarkers.indexOfReserved(text);
        if (reserved >= 0) {
            throw rejected(file, text, reserved, "contains the character U+"
                    + Integer.toHexString(text.charAt(reserved)).toUpperCase()
                    + ", which Kiln reserves for line tracking");
        }
        FtlScanner scan = FtlScanner.scan(text);
        for (FtlScanner.Name n : scan.names()) {
            String why = n.builtIn() ? REFUSED_BUILT_INS.get(n.name()) : REFUSED_SPECIALS.get(n.name());
            if (why != null) {
                throw new TemplateRejectedException(file, n.line(), n.column(), (n.builtIn() ? "?" : ".") + n.name()
                        + " is not allowed in Kiln templates: " + why);
            }
        }
        for (FtlScanner.Directive d : scan.directives()) {
            if (d.name().equals("setting")) {
                // #setting could switch classic_compatible (missing values print as empty) or the
                // number format (1,000 in C): both are fixed for every Kiln template.
                throw new TemplateRejectedException(file, d.line(), d.column(), "the #setting directive is not"
                        + " allowed in Kiln templates: number, boolean and missing-value handling are fixed");
            }
        }
    }

    private static TemplateRejectedException rejected(Path file, String text, int offset, String reason) {
        int line = 1;
        int lineStart = 0;
        for (int i = 0; i < offset; i++) {
            if (text.charAt(i) == '\n') {
                line++;
                lineStart = i + 1;
            }
        }
        return new TemplateRejectedException(file, line, offset - lineStart + 1, reason);
    }
}
