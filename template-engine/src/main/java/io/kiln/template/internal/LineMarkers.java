package io.kiln.template.internal;

import java.util.List;
import java.util.regex.Pattern;

/**
 * Invisible markers that carry template file and line through FreeMarker into the output, where
 * {@link LineDirectives} turns them into {@code #line} directives. A marker is
 * {@code U+E000 file ':' line U+E001}: private-use characters, which no C source contains and
 * which FreeMarker treats as ordinary non-blank text (so they survive {@code ?trim} and do not
 * change whitespace stripping: see {@link FtlScanner} for where they go).
 */
public final class LineMarkers {
    public static final char START = '\uE000';
    public static final char END = '\uE001';
    private static final Pattern ANY_MARKER = Pattern.compile(START + "[^" + END + "]*" + END);

    private LineMarkers() {
    }

    public static String marker(String file, int line) {
        return START + file + ":" + line + END;
    }

    /** True when {@code text} contains a character markers use (a template must not). */
    public static int indexOfReserved(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == START || c == END) {
                return i;
            }
        }
        return -1;
    }

    /** {@code source} with a marker naming {@code file} and the line at the start of each output run. */
    public static String insert(String source, String file) {
        List<FtlScanner.Insertion> insertions = FtlScanner.scan(source).insertions();
        StringBuilder out = new StringBuilder(source.length() + insertions.size() * (file.length() + 8));
        int line = 0;
        int lineStart = 0;
        int copied = 0;
        for (FtlScanner.Insertion ins : insertions) {
            while (line < ins.line()) {
                lineStart = source.indexOf('\n', lineStart) + 1;
                line++;
            }
            int at = lineStart + ins.offset();
            out.append(source, copied, at).append(marker(file, line + 1));
            copied = at;
        }
        return out.append(source, copied, source.length()).toString();
    }

    /**
     * Maps a 1-based column FreeMarker reported on a marked line back to the column in the file
     * as written.
     */
    public static int originalColumn(String source, String file, int line, int column) {
        if (line < 1 || column < 1) {
            return column;
        }
        int length = marker(file, line).length();
        int marked = column - 1;
        int shift = 0;
        for (FtlScanner.Insertion ins : FtlScanner.scan(source).insertions()) {
            if (ins.line() != line - 1) {
                continue;
            }
            int markerAt = ins.offset() + shift;
            if (marked < markerAt) {
                break;
            }
            if (marked < markerAt + length) {
                return ins.offset() + 1;
            }
            shift += length;
        }
        return marked - shift + 1;
    }

    /** {@code text} without any marker, for messages that may quote marked template text. */
    public static String strip(String text) {
        return ANY_MARKER.matcher(text).replaceAll("");
    }
}
