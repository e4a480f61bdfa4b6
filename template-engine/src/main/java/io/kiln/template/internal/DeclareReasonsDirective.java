package io.kiln.template.internal;

import freemarker.core.DirectiveCallPlace;
import freemarker.core.Environment;
import freemarker.template.TemplateDirectiveBody;
import freemarker.template.TemplateDirectiveModel;
import freemarker.template.TemplateException;
import freemarker.template.TemplateModel;
import freemarker.template.TemplateModelException;
import io.kiln.template.ReasonDecl;

import java.io.IOException;
import java.io.Writer;
import java.util.List;
import java.util.Map;

/**
 * {@code <@kiln.declareReasons/>}: one {@code #define REASON_<NAME> <code>} per reason the
 * descriptor declares, plus {@code KILN_REASON_SLOTS} (codes per direction in the counter map) and
 * {@code KILN_REASONS_DECLARED}, so a shared header can insist that a template declared its
 * reasons. Each line is attributed to the call's line, like {@code <@kiln.declareConstants/>}.
 */
final class DeclareReasonsDirective implements TemplateDirectiveModel {
    private final List<ReasonDecl> reasons;
    private final TemplateRootsLoader loader;

    DeclareReasonsDirective(List<ReasonDecl> reasons, TemplateRootsLoader loader) {
        this.reasons = reasons;
        this.loader = loader;
    }

    @Override
    @SuppressWarnings("rawtypes")
    public void execute(Environment env, Map params, TemplateModel[] loopVars, TemplateDirectiveBody body)
            throws TemplateException, IOException {
        DirectiveCallPlace at = env.getCurrentDirectiveCallPlace();
        if (!params.isEmpty() || loopVars.length > 0 || (body != null && LockedDownConfiguration.hasBody(at))) {
            throw new TemplateModelException("kiln.declareReasons takes no parameters and no body");
        }
        String marker = "";
        if (at != null && at.getTemplate() != null) {
            java.nio.file.Path file = loader.fileOf(at.getTemplate().getSourceName());
            if (file != null) {
                marker = LineMarkers.marker(loader.relative(file), at.getBeginLine());
            }
        }
        Writer out = env.getOut();
        out.write(marker + "#define KILN_REASONS_DECLARED 1\n");
        out.write(marker + "#define KILN_REASON_SLOTS " + ReasonDecl.SLOTS + "\n");
        for (ReasonDecl r : reasons) {
            String comment = (r.drop() ? "drop" : "pass") + (r.description().isEmpty() ? "" : ": "
                    + r.description().replace("*/", "* /").replaceAll("\\s+", " ").strip());
            out.write(marker + "#define " + r.macro() + " " + r.code() + " /* " + comment + " */\n");
        }
    }
}
