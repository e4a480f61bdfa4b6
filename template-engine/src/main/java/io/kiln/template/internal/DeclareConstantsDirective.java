package io.kiln.template.internal;

import freemarker.core.DirectiveCallPlace;
import freemarker.core.Environment;
import freemarker.template.TemplateDirectiveBody;
import freemarker.template.TemplateDirectiveModel;
import freemarker.template.TemplateException;
import freemarker.template.TemplateModel;
import freemarker.template.TemplateModelException;
import io.kiln.template.ConstantDecl;

import java.io.IOException;
import java.io.Writer;
import java.util.List;
import java.util.Map;

/**
 * {@code <@kiln.declareConstants/>}: declares every endpoint constant of the template as a
 * {@code volatile const} global, each line attributed (through {@code #line}) to the line of the
 * call, like a C macro expansion. A directive in Java rather than an FTL macro because only a
 * directive learns where it was called from.
 */
final class DeclareConstantsDirective implements TemplateDirectiveModel {
    private final List<ConstantDecl> constants;
    private final TemplateRootsLoader loader;

    DeclareConstantsDirective(List<ConstantDecl> constants, TemplateRootsLoader loader) {
        this.constants = constants;
        this.loader = loader;
    }

    @Override
    @SuppressWarnings("rawtypes")
    public void execute(Environment env, Map params, TemplateModel[] loopVars, TemplateDirectiveBody body)
            throws TemplateException, IOException {
        DirectiveCallPlace at = env.getCurrentDirectiveCallPlace();
        if (!params.isEmpty() || loopVars.length > 0 || (body != null && LockedDownConfiguration.hasBody(at))) {
            throw new TemplateModelException("kiln.declareConstants takes no parameters and no body");
        }
        String marker = "";
        if (at != null && at.getTemplate() != null) {
            java.nio.file.Path file = loader.fileOf(at.getTemplate().getSourceName());
            if (file != null) {
                marker = LineMarkers.marker(loader.relative(file), at.getBeginLine());
            }
        }
        Writer out = env.getOut();
        for (ConstantDecl c : constants) {
            if (!c.description().isEmpty()) {
                out.write(marker + "/* " + c.name() + " (" + c.type().yamlName() + "): "
                        + commentSafe(c.description()) + " */\n");
            }
            out.write(marker + "volatile const " + CTypes.declaration(c) + " = " + CTypes.zero(c) + ";\n");
        }
    }

    private static String commentSafe(String text) {
        return text.replace("*/", "* /").replaceAll("\\s+", " ").strip();
    }
}
