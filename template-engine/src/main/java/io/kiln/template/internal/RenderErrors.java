package io.kiln.template.internal;

import freemarker.core.ParseException;
import freemarker.template.TemplateException;
import freemarker.template.TemplateNotFoundException;
import io.kiln.template.RenderException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns whatever FreeMarker threw into a {@link RenderException} at the template file, line and
 * column that caused it, with FreeMarker's reason minus its tips and stack.
 */
public final class RenderErrors {
    private static final Pattern IN_TEMPLATE = Pattern.compile("\\s*\\[in template \"[^\"]*\" at line \\d+, column \\d+]");
    private static final int MAX_REASON_LINES = 8;
    private static final Pattern PARAMETER_VALUE = Pattern.compile("for parameter value \"([^\"]{0,200})");

    private RenderErrors() {
    }

    /** {@code context} is appended as the message's last line, e.g. which template and variant. */
    public static RenderException convert(Throwable e, Path mainTemplate, TemplateRootsLoader loader, String context) {
        TemplateRejectedException rejected = find(e, TemplateRejectedException.class);
        if (rejected != null) {
            return new RenderException(rejected.file(), rejected.line(), rejected.column(),
                    rejected.reason() + context, e);
        }
        ParseException parse = find(e, ParseException.class);
        if (parse != null) {
            String reason = parse.getEditorMessage() != null ? parse.getEditorMessage() : parse.getMessage();
            return located(e, loader, mainTemplate, parse.getTemplateName(), parse.getLineNumber(),
                    parse.getColumnNumber(), clean(reason) + context);
        }
        TemplateNotFoundException missing = find(e, TemplateNotFoundException.class);
        if (missing != null && e instanceof TemplateException te) {
            Integer line = te.getLineNumber();
            Integer column = te.getColumnNumber();
            return located(e, loader, mainTemplate, te.getTemplateSourceName(), line == null ? 0 : line,
                    column == null ? 0 : column, notFound(te, missing, loader) + context);
        }
        if (e instanceof TemplateException te) {
            String name = te.getTemplateSourceName();
            Integer line = te.getLineNumber();
            Integer column = te.getColumnNumber();
            return located(e, loader, mainTemplate, name, line == null ? 0 : line, column == null ? 0 : column,
                    clean(te.getMessageWithoutStackTop()) + context);
        }
        String reason = e instanceof IOException ? e.getMessage() : e.toString();
        return new RenderException(mainTemplate, 0, 0, clean(reason) + context, e);
    }

    /**
     * An include or import that names no file under the roots. FreeMarker reads an absolute name
     * ({@code /etc/hostname}) or one that backs out ({@code ../x}) relative to the roots, so such a
     * file is never read; the message says so instead of only "not found".
     */
    private static String notFound(TemplateException te, TemplateNotFoundException missing, TemplateRootsLoader loader) {
        String asked = missing.getTemplateName();
        Matcher m = PARAMETER_VALUE.matcher(String.valueOf(te.getMessageWithoutStackTop()));
        if (m.find()) {
            asked = m.group(1);
        }
        String why = asked.startsWith("/") || asked.contains("..")
                ? "; templates load only from " + loader.describeRoots()
                        + " (an absolute path or '..' is read inside them, never from the host)"
                : "; looked in " + loader.describeRoots();
        return "include/import of '" + printable(asked) + "': refused, no such template" + why;
    }

    /** At most 80 printable characters of a name the template gave. */
    private static String printable(String name) {
        String shown = name.codePoints().limit(80)
                .map(c -> c < 0x20 || c == 0x7f ? '?' : c)
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString();
        return name.length() > 80 ? shown + "... (" + name.length() + " characters)" : shown;
    }

    static RenderException located(Throwable e, TemplateRootsLoader loader, Path mainTemplate,
                                           String templateName, int line, int column, String reason) {
        Path file = templateName == null ? null : loader.fileOf(templateName);
        if (file == null) {
            file = mainTemplate;
        }
        return new RenderException(file, line, originalColumn(loader, file, line, column), reason, e);
    }

    private static int originalColumn(TemplateRootsLoader loader, Path file, int line, int column) {
        try {
            String source = Files.readString(file, StandardCharsets.UTF_8);
            return LineMarkers.originalColumn(source, loader.relative(file), line, column);
        } catch (IOException | RuntimeException e) {
            return column;
        }
    }

    /** FreeMarker's message up to its first "----" block (tips, FTL stack), without places or markers. */
    static String clean(String message) {
        if (message == null) {
            return "";
        }
        String text = LineMarkers.strip(message);
        int cut = text.indexOf("\n----");
        if (cut >= 0) {
            text = text.substring(0, cut);
        }
        text = IN_TEMPLATE.matcher(text).replaceAll("").strip();
        String[] lines = text.split("\n");
        if (lines.length > MAX_REASON_LINES) {
            text = String.join("\n", java.util.Arrays.copyOf(lines, MAX_REASON_LINES)) + "\n...";
        }
        return text;
    }

    private static <T extends Throwable> T find(Throwable e, Class<T> type) {
        T found = null;
        for (Throwable t = e; t != null && t != t.getCause(); t = t.getCause()) {
            if (type.isInstance(t)) {
                found = type.cast(t);
            }
        }
        return found;
    }
}
