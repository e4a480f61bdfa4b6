package io.kiln.template.internal;

import io.kiln.template.ReasonDecl;

import java.io.IOException;
import java.io.Writer;
import java.util.List;

/**
 * {@code <@kiln.declareReasons/>}: one {@code #define REASON_<NAME> <code>} per reason the
 * descriptor declares, plus {@code KILN_REASON_SLOTS} (codes per direction in the counter map) and
 * {@code KILN_REASONS_DECLARED}, so a shared header can insist that a template declared its
 * reasons. Each line is attributed to the call's line, like {@code <@kiln.declareConstants/>}.
 */
final class DeclareReasonsDirective extends LineAttributedDirective {
    private final List<ReasonDecl> reasons;

    DeclareReasonsDirective(List<ReasonDecl> reasons, TemplateRootsLoader loader) {
        super("kiln.declareReasons", loader);
        this.reasons = reasons;
    }

    @Override
    void write(Writer out, String marker) throws IOException {
        out.write(marker + "#define KILN_REASONS_DECLARED 1\n");
        out.write(marker + "#define KILN_REASON_SLOTS " + ReasonDecl.SLOTS + "\n");
        for (ReasonDecl r : reasons) {
            String comment = (r.drop() ? "drop" : "pass") + (r.description().isEmpty() ? ""
                    : ": " + commentSafe(r.description()));
            out.write(marker + "#define " + r.macro() + " " + r.code() + " /* " + comment + " */\n");
        }
    }
}
