package io.kiln.build;

import io.kiln.KilnException;
import java.nio.file.Path;
import java.util.List;

/**
 * A variant's compiled object does not hold the programs and maps its descriptor declares, or holds
 * ones it does not declare. Caught at build time, it would otherwise show only when an endpoint loads
 * the variant ({@code no map ...}), or never (an undeclared map is neither pinned nor shared).
 */
public final class ContractMismatchException extends KilnException {
    private static final long serialVersionUID = 1L;

    /**
     * One difference.
     *
     * @param line    1-based line of the declaration in the descriptor, or 0 (not declared there, or the
     *                descriptor cannot be read again)
     * @param field   the descriptor field, e.g. {@code maps.syn_counts6}
     * @param message what differs and what was expected
     */
    public record Mismatch(int line, String field, String message) {
    }

    private final String template;
    private final String variant;
    private final transient Path descriptorFile;
    private final transient List<Mismatch> mismatches;

    public ContractMismatchException(String message, String template, String variant, Path descriptorFile,
                                     List<Mismatch> mismatches) {
        super(message);
        this.template = template;
        this.variant = variant;
        this.descriptorFile = descriptorFile;
        this.mismatches = List.copyOf(mismatches);
    }

    /** The template's name. */
    public String template() {
        return template;
    }

    /** The variant as messages name it: the template with its build parameters, {@code guard(ipv6=false)}. */
    public String variant() {
        return variant;
    }

    public Path descriptorFile() {
        return descriptorFile;
    }

    public List<Mismatch> mismatches() {
        return mismatches == null ? List.of() : mismatches;
    }

    @Override
    public boolean isUserError() {
        return true;
    }
}
