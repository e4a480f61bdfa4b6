package io.kiln.compile.internal;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Reads the Makefile-syntax dependency file clang writes for {@code -MD}/{@code -M}: one rule,
 * {@code target: prerequisite...}, wrapped with backslash-newline, with spaces in names escaped as
 * {@code \ }, {@code #} as {@code \#} and {@code $} as {@code $$}.
 */
public final class DepFile {
    private DepFile() {
    }

    /**
     * The prerequisites of the first rule, in order, without duplicates and without {@code source}
     * itself; relative names are resolved against {@code directory} and every path is normalized.
     */
    public static List<Path> headers(String text, Path directory, String source) {
        Set<Path> headers = new LinkedHashSet<>();
        List<String> words = words(text);
        boolean afterTarget = false;
        for (String word : words) {
            if (!afterTarget) {
                afterTarget = word.endsWith(":") ? true : word.equals(":");
                continue;
            }
            if (word.equals(source)) {
                continue;
            }
            headers.add(directory.resolve(word).normalize());
        }
        return List.copyOf(headers);
    }

    /** Splits into words, undoing the escapes; a target written as {@code obj:} stays one word. */
    static List<String> words(String text) {
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        int n = text.length();
        for (int i = 0; i < n; i++) {
            char c = text.charAt(i);
            if (c == '\\' && i + 1 < n) {
                char next = text.charAt(i + 1);
                if (next == '\n' || (next == '\r' && i + 2 < n && text.charAt(i + 2) == '\n')) {
                    i += next == '\r' ? 2 : 1;
                    flush(word, words);
                    continue;
                }
                if (next == ' ' || next == '#') {
                    word.append(next);
                    i++;
                    continue;
                }
                word.append(c);
            } else if (c == '$' && i + 1 < n && text.charAt(i + 1) == '$') {
                word.append('$');
                i++;
            } else if (Character.isWhitespace(c)) {
                flush(word, words);
            } else {
                word.append(c);
            }
        }
        flush(word, words);
        return words;
    }

    private static void flush(StringBuilder word, List<String> words) {
        if (word.length() > 0) {
            words.add(word.toString());
            word.setLength(0);
        }
    }
}
