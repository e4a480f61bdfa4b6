package io.kiln.template;

/**
 * A declared verdict reason: every packet a template's programs handle is counted under one. The
 * C code sees it as {@code REASON_<name>} ({@code <@kiln.declareReasons/>}), the bindings as a
 * constant of the generated {@code DropReason} enum, the agent's metrics as the {@code reason} label
 * (drops only). {@code code} indexes the template's reason counters, so it is ABI: never renumber.
 *
 * @param name an upper-case C identifier, e.g. {@code POLICY_DENIED}
 * @param code 0 to {@link #MAX_CODE}
 * @param drop true when a packet counted under it was dropped, false when it went on
 */
public record ReasonDecl(String name, int code, boolean drop, String description) {
    /** Codes per direction in a reason counter map: its key is {@code direction * SLOTS + code}. */
    public static final int SLOTS = 64;
    public static final int MAX_CODE = SLOTS - 1;
    /** Directions of a reason counter map, in key order: slot {@code 0 * SLOTS + code} is ingress. */
    public static final java.util.List<String> DIRECTIONS = java.util.List.of("ingress", "egress");
    /** The value of a reason counter map: per CPU, {@code __u64 packets} then {@code __u64 bytes}. */
    public static final int COUNTER_VALUE_SIZE = 16;

    public ReasonDecl {
        java.util.Objects.requireNonNull(name, "name");
        java.util.Objects.requireNonNull(description, "description");
        if (code < 0 || code > MAX_CODE) {
            throw new IllegalArgumentException("reason " + name + ": code " + code + " outside 0.." + MAX_CODE);
        }
    }

    /** The C macro the template's code uses. */
    public String macro() {
        return "REASON_" + name;
    }
}
