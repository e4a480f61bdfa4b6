package io.kiln.agent.spec;

import io.kiln.template.BuildParameters;
import io.kiln.template.Constants;
import io.kiln.template.ParameterException;
import io.kiln.template.Parameters;
import io.kiln.template.TemplateDescriptor;

/**
 * Checks an endpoint against its template: the template exists, the build parameters are
 * declared and fit their types, the constants are declared and fit theirs. Errors name the spec's
 * line and field, e.g. {@code endpoints/web.yaml:3: template: unknown template 'endpiont'; known: endpoint}.
 */
public final class EndpointValidator {
    private EndpointValidator() {
    }

    /** The endpoint with its template and complete build parameters. */
    public record Valid(EndpointSpec spec, TemplateDescriptor template, BuildParameters build) {
    }

    public static Valid validate(EndpointSpec spec, TemplateCatalog catalog) {
        Origin o = spec.origin();
        TemplateDescriptor t = catalog.find(spec.template()).orElseThrow(() -> o.error("template",
                "unknown template '" + spec.template() + "'; known: " + (catalog.names().isEmpty() ? "none"
                        : String.join(", ", catalog.names()))));
        BuildParameters build;
        try {
            build = Parameters.resolve(t, spec.build());
        } catch (ParameterException e) {
            throw o.error("build." + e.parameter(), strip(e.getMessage(), t));
        }
        try {
            Constants.encodeAll(t, spec.constants());
        } catch (ParameterException e) {
            throw o.error("constants." + e.parameter(), strip(e.getMessage(), t));
        }
        // Without a MAC the constant stays 00:00:00:00:00:00 and every frame the endpoint sends is
        // dropped as spoofed. A spec the operator wrote is refused with the field named; a Pod is not
        // refused, because a refused Pod would run with no program at all, unenforced: it stays an
        // endpoint that drops what it sends (fail closed) until its kiln.io/mac annotation is set.
        if (spec.mac() == null && t.constant("ENDPOINT_MAC").isPresent() && !o.name().startsWith("pod ")) {
            throw o.error("mac", "missing; template " + t.name() + " needs the MAC of the endpoint's interface"
                    + " (ENDPOINT_MAC: it drops frames from any other source MAC), like 02:00:00:00:00:0c");
        }
        return new Valid(spec, t, build);
    }

    /** "template endpoint: build parameter ipv6: expected ..." says the template and field twice once placed. */
    private static String strip(String message, TemplateDescriptor t) {
        String prefix = "template " + t.name() + ": ";
        String m = message.startsWith(prefix) ? message.substring(prefix.length()) : message;
        int colon = m.indexOf(": ");
        if (m.startsWith("build parameter ") || m.startsWith("constant ")) {
            m = colon < 0 ? m : m.substring(colon + 2);
        }
        return m + " (template " + t.name() + ")";
    }
}
