package io.kiln.template.internal;

import java.nio.file.Path;

/** What a template may not contain, checked on its text before FreeMarker parses it. */
final class TemplateChecks {
    private TemplateChecks() {
    }

    static void check(Path file, String text) throws TemplateRejectedException {
        int reserved = LineMarkers.indexOfReserved(text);
        if (reserved >= 0) {
            throw rejected(file, text, reserved, "contains the character U+"
                    + Integer.toHexString(text.charAt(reserved)).toUpperCase()
                    + ", which Kiln reserves for line tracking");
        }
        for (FtlScanner.Directive d : FtlScanner.scan(text).directives()) {
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
