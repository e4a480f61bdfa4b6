package io.kiln.runtime;

import io.kiln.template.Hook;

import java.nio.file.Path;
import java.util.Objects;

/**
 * One program of an endpoint on its hook, as Kiln put it there.
 *
 * @param program    the program's name in the template
 * @param hook       where it runs
 * @param kind       how it is attached
 * @param programId  the kernel id of the program Kiln attached last; a hook found running another
 *                   program was changed by someone else
 * @param linkPin    the link's pin, for {@link Kind#TCX_LINK} and {@link Kind#XDP_LINK}; else null
 * @param tcHandle   the filter's handle, for {@link Kind#TC_FILTER}; else 0
 * @param tcPriority the filter's priority, for {@link Kind#TC_FILTER}; else 0
 */
public record Attachment(String program, Hook hook, Kind kind, int programId, Path linkPin, int tcHandle,
                         int tcPriority) {
    /** The mechanism that holds the program on its hook. */
    public enum Kind {
        TCX_LINK("tcx"),
        TC_FILTER("tc"),
        XDP_LINK("xdp");

        private final String label;

        Kind(String label) {
            this.label = label;
        }

        /** {@code tcx}, {@code tc} or {@code xdp}: how state files and messages name it. */
        public String label() {
            return label;
        }

        public static Kind fromLabel(String label) {
            for (Kind k : values()) {
                if (k.label.equals(label)) {
                    return k;
                }
            }
            throw new IllegalArgumentException("attachment kind '" + label + "': expected tcx, tc or xdp");
        }
    }

    public Attachment {
        Objects.requireNonNull(program, "program");
        Objects.requireNonNull(hook, "hook");
        Objects.requireNonNull(kind, "kind");
        if ((kind == Kind.TC_FILTER) == (linkPin != null)) {
            throw new IllegalArgumentException("program " + program + ": a " + kind.label()
                    + " attachment " + (linkPin == null ? "needs" : "has no") + " link pin");
        }
    }

    /** The same attachment now running {@code id}. */
    public Attachment withProgramId(int id) {
        return new Attachment(program, hook, kind, id, linkPin, tcHandle, tcPriority);
    }

    /** {@code program from_endpoint (tcx tc-ingress)}: how messages name the hook. */
    public String describe() {
        String where = kind == Kind.TC_FILTER ? ", handle " + tcHandle + ", priority " + tcPriority : "";
        return "program " + program + " (" + kind.label() + " " + hook.yamlName() + where + ")";
    }
}
