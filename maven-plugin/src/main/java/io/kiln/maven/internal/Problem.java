package io.kiln.maven.internal;

import io.kiln.KilnException;
import io.kiln.build.ConstantMismatchException;
import io.kiln.build.ContractMismatchException;
import io.kiln.compile.CompileException;
import io.kiln.compile.Diagnostic;
import io.kiln.template.DescriptorException;
import io.kiln.template.RenderException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * An error pinned to a file, line and column where Kiln knows them, printed the way Maven's compiler
 * plugin prints javac's errors, {@code /abs/file:[line,col] message}, which Eclipse, IntelliJ and CI log
 * parsers link to the source.
 *
 * @param file   the file at fault, or null when the error has no file
 * @param line   1-based, or 0
 * @param column 1-based, or 0
 */
public record Problem(Path file, int line, int column, String message, boolean warning) {

    @Override
    public String toString() {
        if (file == null) {
            return message;
        }
        return file + (line > 0 ? ":[" + line + "," + Math.max(column, 1) + "]" : "") + " " + message;
    }

    /** The located errors in an exception: one per clang error, else one for the exception. */
    public static List<Problem> of(KilnException e) {
        List<Problem> out = new ArrayList<>();
        if (e instanceof DescriptorException d) {
            String field = d.field().isEmpty() ? "" : d.field() + ": ";
            out.add(new Problem(d.file(), d.line(), d.column(), field + d.reason(), false));
        } else if (e instanceof RenderException r) {
            out.add(new Problem(r.templateFile(), r.line(), r.column(), firstLine(r.reason()), false));
        } else if (e instanceof CompileException c) {
            for (Diagnostic d : c.diagnostics()) {
                if (d.severity().isError()) {
                    out.add(new Problem(d.file(), d.line(), d.column(), d.severity().label() + ": " + d.message(), false));
                }
            }
        } else if (e instanceof ContractMismatchException c) {
            String variant = "template " + c.template() + ": variant " + c.variant();
            for (ContractMismatchException.Mismatch m : c.mismatches()) {
                out.add(new Problem(c.descriptorFile(), m.line(), 0, variant + ": " + m.message(), false));
            }
        } else if (e instanceof ConstantMismatchException) {
            out.add(new Problem(null, 0, 0, e.getMessage(), false));
        }
        if (out.isEmpty()) {
            out.add(new Problem(null, 0, 0, e.getMessage(), false));
        }
        return out;
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
