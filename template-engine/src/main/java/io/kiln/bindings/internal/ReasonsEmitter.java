package io.kiln.bindings.internal;

import io.kiln.bindings.BindingsException;
import io.kiln.build.ReasonCountersCheck;
import io.kiln.object.ObjectInfo;
import io.kiln.template.ReasonDecl;
import io.kiln.template.TemplateDescriptor;
import java.util.List;

/**
 * Writes the {@code DropReason} enum: the verdict reasons the descriptor declares, with their codes,
 * verdicts and descriptions, and the name of the map that counts them. The C code gets the same
 * list from {@code <@kiln.declareReasons/>}, so Java and C share one source, the descriptor.
 */
final class ReasonsEmitter {
    static final String CLASS = "DropReason";

    private final JavaCode c;

    ReasonsEmitter(JavaCode c) {
        this.c = c;
    }

    void emit(TemplateDescriptor t, ObjectInfo object) {
        if (t.reasons().isEmpty()) {
            return;
        }
        t.reasonCounters().ifPresent(name -> checkCounters(t, object, name));
        c.blank();
        c.doc("The verdict reasons of {@code " + t.name() + "}, as " + JavaCode.text(t.descriptorFile().getFileName()
                        .toString()) + " declares them: every packet its programs handle is counted under one.",
                "The codes are ABI: slot {@code direction * SLOTS + code} of the counter map"
                        + t.reasonCounters().map(m -> " {@code " + JavaCode.text(m) + "}").orElse("") + ".");
        c.line("public enum " + CLASS + " {");
        List<ReasonDecl> reasons = t.reasons();
        for (int i = 0; i < reasons.size(); i++) {
            ReasonDecl r = reasons.get(i);
            c.doc("Code " + r.code() + ", " + (r.drop() ? "dropped" : "went on")
                    + (r.description().isEmpty() ? "." : ": " + JavaCode.text(r.description())));
            c.line(r.name() + "(" + r.code() + ", " + r.drop() + ", " + JavaCode.literal(r.description()) + ")"
                    + (i == reasons.size() - 1 ? ";" : ","));
        }
        c.blank();
        c.doc("Codes per direction in the counter map.");
        c.line("public static final int SLOTS = " + ReasonDecl.SLOTS + ";");
        c.doc("Same as {@link #SLOTS}.");
        c.line("public static final int MAX = SLOTS;");
        c.doc("The map that counts packets and bytes per direction and reason, or null when the template names none.");
        c.line("public static final String COUNTERS_MAP = "
                + t.reasonCounters().map(JavaCode::literal).orElse("null") + ";");
        c.blank();
        c.line("private static final " + CLASS + "[] BY_CODE_ = new " + CLASS + "[SLOTS];");
        c.blank();
        c.line("static {");
        c.line("for (" + CLASS + " r_ : values()) {");
        c.line("BY_CODE_[r_.code] = r_;");
        c.line("}");
        c.line("}");
        c.blank();
        c.line("private final int code;");
        c.line("private final boolean drop;");
        c.line("private final String description;");
        c.blank();
        c.line(CLASS + "(int code, boolean drop, String description) {");
        c.line("this.code = code;");
        c.line("this.drop = drop;");
        c.line("this.description = description;");
        c.line("}");
        c.blank();
        c.line("public int code() {");
        c.line("return code;");
        c.line("}");
        c.blank();
        c.doc("True when a packet counted under this reason was dropped.");
        c.line("public boolean isDrop() {");
        c.line("return drop;");
        c.line("}");
        c.blank();
        c.line("public String description() {");
        c.line("return description;");
        c.line("}");
        c.blank();
        c.doc("This reason's slot in the counter map for a direction (0 ingress, 1 egress).");
        c.line("public int slot(int direction) {");
        c.line("return direction * SLOTS + code;");
        c.line("}");
        c.blank();
        c.doc("@throws IllegalArgumentException for a code no reason has");
        c.line("public static " + CLASS + " of(int code) {");
        c.line(CLASS + " r_ = code >= 0 && code < SLOTS ? BY_CODE_[code] : null;");
        c.line("if (r_ == null) {");
        c.line("throw new IllegalArgumentException(\"template " + JavaCode.text(t.name())
                + " has no reason with code \" + code);");
        c.line("}");
        c.line("return r_;");
        c.line("}");
        c.blank();
        c.doc("The reason of a counter map slot ({@code direction * SLOTS + code}), or null for a slot no reason uses.");
        c.line("public static " + CLASS + " ofSlot(int slot) {");
        c.line("return slot >= 0 && slot < 2 * SLOTS ? BY_CODE_[slot % SLOTS] : null;");
        c.line("}");
        c.line("}");
    }

    /** The agent reads the counter map with a fixed layout; a map of another shape is a build error. */
    private static void checkCounters(TemplateDescriptor t, ObjectInfo object, String name) {
        String problem = ReasonCountersCheck.problem(t, object);
        if (problem != null) {
            throw new BindingsException(problem);
        }
    }
}
