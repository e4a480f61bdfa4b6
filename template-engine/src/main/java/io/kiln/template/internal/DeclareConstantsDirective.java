package io.kiln.template.internal;

import io.kiln.template.ConstantDecl;

import java.io.IOException;
import java.io.Writer;
import java.util.List;

/**
 * {@code <@kiln.declareConstants/>}: declares every endpoint constant of the template as a
 * {@code volatile const} global, each line attributed (through {@code #line}) to the line of the
 * call, like a C macro expansion.
 */
final class DeclareConstantsDirective extends LineAttributedDirective {
    private final List<ConstantDecl> constants;

    DeclareConstantsDirective(List<ConstantDecl> constants, TemplateRootsLoader loader) {
        super("kiln.declareConstants", loader);
        this.constants = constants;
    }

    @Override
    void write(Writer out, String marker) throws IOException {
        for (ConstantDecl c : constants) {
            if (!c.description().isEmpty()) {
                out.write(marker + "/* " + c.name() + " (" + c.type().yamlName() + "): "
                        + commentSafe(c.description()) + " */\n");
            }
            out.write(marker + "volatile const " + CTypes.declaration(c) + " = " + CTypes.zero(c) + ";\n");
        }
    }
}
