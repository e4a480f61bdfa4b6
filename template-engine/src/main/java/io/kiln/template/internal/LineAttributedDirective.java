package io.kiln.template.internal;

import freemarker.core.DirectiveCallPlace;
import freemarker.core.Environment;
import freemarker.template.TemplateDirectiveBody;
import freemarker.template.TemplateDirectiveModel;
import freemarker.template.TemplateException;
import freemarker.template.TemplateModel;
import freemarker.template.TemplateModelException;

import java.io.IOException;
import java.io.Writer;
import java.util.Map;

/**
 * A Kiln directive that writes C lines attributed (through {@code #line}) to the line of its call,
 * like a C macro expansion: it takes no parameters and no body. A directive in Java rather than an
 * FTL macro because only a directive learns where it was called from.
 */
abstract class LineAttributedDirective implements TemplateDirectiveModel {
    private final String name;
    private final TemplateRootsLoader loader;

    LineAttributedDirective(String name, TemplateRootsLoader loader) {
        this.name = name;
        this.loader = loader;
    }

    /** Writes the lines, each starting with {@code marker} (a line marker, or empty). */
    abstract void write(Writer out, String marker) throws IOException;

    @Override
    @SuppressWarnings("rawtypes")
    public final void execute(Environment env, Map params, TemplateModel[] loopVars, TemplateDirectiveBody body)
            throws TemplateException, IOException {
        DirectiveCallPlace at = env.getCurrentDirectiveCallPlace();
        if (!params.isEmpty() || loopVars.length > 0 || (body != null && LockedDownConfiguration.hasBody(at))) {
            throw new TemplateModelException(name + " takes no parameters and no body");
        }
        String marker = "";
        if (at != null && at.getTemplate() != null) {
            java.nio.file.Path file = loader.fileOf(at.getTemplate().getSourceName());
            if (file != null) {
                marker = LineMarkers.marker(loader.relative(file), at.getBeginLine());
            }
        }
        write(env.getOut(), marker);
    }

    /** Text safe inside a C block comment, on one line. */
    static String commentSafe(String text) {
        return text.replace("*/", "* /").replaceAll("\\s+", " ").strip();
    }
}
