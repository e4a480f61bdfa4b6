package io.kiln.template;

import freemarker.template.Configuration;
import io.kiln.template.internal.BoundedRender;
import io.kiln.template.internal.LineDirectives;
import io.kiln.template.internal.LockedDownConfiguration;
import io.kiln.template.internal.RenderErrors;
import io.kiln.template.internal.RenderModel;
import io.kiln.template.internal.TemplateRootsLoader;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Renders a template's FreeMarker source into the C source of one variant. Thread-safe; meant to
 * be created once and reused, since it keeps one FreeMarker configuration (and its cache of
 * parsed templates) per distinct list of template roots.
 *
 * <p>The output is deterministic and carries {@code #line} directives naming template files
 * relative to the template's folder, so clang's diagnostics point at the {@code .ftl} line that
 * produced the code and objects do not depend on where the checkout lives.
 */
public final class Renderer {
    private final ConcurrentMap<List<Path>, Engine> engines = new ConcurrentHashMap<>();

    private final RenderLimits limits;

    /** A renderer with Kiln's limits, {@link RenderLimits#DEFAULT}. */
    public Renderer() {
        this(RenderLimits.DEFAULT);
    }

    /** A renderer with other limits (tests use small ones). */
    public Renderer(RenderLimits limits) {
        this.limits = limits;
    }

    private record Engine(Configuration cfg, TemplateRootsLoader loader) {
    }

    /**
     * Renders {@code t} with build parameters {@code p} (checked again against the descriptor).
     *
     * @throws RenderException when the template does not parse or fails while rendering
     * @throws ParameterException when {@code p} does not fit the template
     */
    public RenderedSource render(TemplateDescriptor t, BuildParameters p) {
        BuildParameters checked = Parameters.resolve(t, p.values());
        String context = "\n(template " + t.name() + ", build parameters "
                + (checked.canonical().isEmpty() ? "none" : checked.canonical()) + ")";
        Engine engine;
        try {
            engine = engines.computeIfAbsent(t.includeDirs(), Renderer::newEngine);
        } catch (IllegalStateException e) {
            throw new RenderException(t.templateFile(), 0, 0, e.getMessage() + context, e);
        }
        Object model;
        try {
            model = RenderModel.build(t, checked, engine.loader());
        } catch (Exception e) {
            throw RenderErrors.convert(e, t.templateFile(), engine.loader(), context);
        }
        String out = BoundedRender.run(engine.cfg(), engine.loader(), t.templateFile(),
                engine.loader().relative(t.templateFile()), model, limits, context);
        String header = "/* " + t.name() + ".bpf.c: rendered by Kiln from " + t.templateFile().getFileName()
                + ", build parameters " + (checked.canonical().isEmpty() ? "none" : checked.canonical())
                + ". Do not edit. */\n";
        return new RenderedSource(t, checked, t.name() + ".bpf.c", header + LineDirectives.apply(out));
    }

    private static Engine newEngine(List<Path> roots) {
        try {
            TemplateRootsLoader loader = new TemplateRootsLoader(roots);
            return new Engine(LockedDownConfiguration.create(loader), loader);
        } catch (IOException e) {
            throw new IllegalStateException("cannot use template folders " + roots + ": " + e.getMessage(), e);
        }
    }
}
