package io.kiln.agent.plan;

import java.util.Objects;

/**
 * What decides how an endpoint's programs must change, as five strings the dataplane stores
 * beside its pins and gives back on adoption ({@code Dataplane.adopt}): compare
 * two and {@link ChangeKind#between} says whether to re-create, take a new variant, reload with
 * new constants, or only write maps.
 *
 * @param attachment the interface and its network namespace ({@code lxc1@ns1}, {@code lxc1} for the host's)
 * @param template   the template's name
 * @param build      the complete build parameters, canonical ({@code BuildParameters#canonical})
 * @param constants  the constants, canonical ({@code NAME=value;...} sorted)
 * @param sources    the digest of the template's files ({@link TemplateSources}); "" when unknown (a
 *                   fingerprint an older Kiln wrote has none: its endpoints take the new variant once)
 */
public record PlanFingerprint(String attachment, String template, String build, String constants, String sources) {
    public PlanFingerprint {
        Objects.requireNonNull(attachment, "attachment");
        Objects.requireNonNull(template, "template");
        Objects.requireNonNull(build, "build");
        Objects.requireNonNull(constants, "constants");
        Objects.requireNonNull(sources, "sources");
    }
}
