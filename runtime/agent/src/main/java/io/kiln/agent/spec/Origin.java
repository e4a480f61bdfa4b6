package io.kiln.agent.spec;

import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Where a spec came from, so that an error found after parsing (an unknown template, a constant
 * the template refuses, an identity clash) can still name the place: {@code name} is a file path,
 * {@code api} or {@code pod default/web}; {@code lines} maps each dotted field path of the
 * document to the line it starts on (empty when the source has no lines, e.g. a Kubernetes
 * object).
 */
public record Origin(String name, Map<String, Integer> lines) {
    public Origin {
        Objects.requireNonNull(name, "name");
        lines = Map.copyOf(new TreeMap<>(lines));
    }

    public static Origin of(String name) {
        return new Origin(name, Map.of());
    }

    /**
     * The line of {@code field} or, when it has none (it was not written, or the source has no
     * lines), of the nearest enclosing field that has one; 0 when none does.
     */
    public int line(String field) {
        String f = field;
        while (!f.isEmpty()) {
            Integer l = lines.get(f);
            if (l != null) {
                return l;
            }
            int cut = Math.max(f.lastIndexOf('.'), f.lastIndexOf('['));
            f = cut < 0 ? "" : f.substring(0, cut);
        }
        return 0;
    }

    /** An error about {@code field} of this spec, placed at its line. */
    public SpecException error(String field, String reason) {
        return new SpecException(name, line(field), 0, field, reason);
    }

    @Override
    public String toString() {
        return name;
    }
}
