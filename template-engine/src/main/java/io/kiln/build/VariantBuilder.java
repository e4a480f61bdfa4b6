package io.kiln.build;

import io.kiln.cache.CacheResult;
import io.kiln.cache.ObjectCache;
import io.kiln.object.ObjectInfo;
import io.kiln.template.BuildParameters;
import io.kiln.template.RenderedSource;
import io.kiln.template.Renderer;
import io.kiln.template.TemplateDescriptor;
import java.util.concurrent.CompletableFuture;

/**
 * Template plus build parameters in, checked object out: render, compile through the object
 * cache (so one variant is compiled once), then check the object's constants against the
 * descriptor. Thread-safe; share one per process.
 */
public final class VariantBuilder {
    private final Renderer renderer;
    private final ObjectCache cache;

    public VariantBuilder(Renderer renderer, ObjectCache cache) {
        this.renderer = renderer;
        this.cache = cache;
    }

    public BuiltVariant build(TemplateDescriptor template, BuildParameters parameters) {
        RenderedSource source = renderer.render(template, parameters);
        return check(template, parameters, cache.get(source));
    }

    public CompletableFuture<BuiltVariant> buildAsync(TemplateDescriptor template, BuildParameters parameters) {
        RenderedSource source = renderer.render(template, parameters);
        return cache.getAsync(source).thenApply(result -> check(template, parameters, result));
    }

    public ObjectCache cache() {
        return cache;
    }

    public Renderer renderer() {
        return renderer;
    }

    private static BuiltVariant check(TemplateDescriptor template, BuildParameters parameters, CacheResult result) {
        String name = template.name() + "(" + parameters.canonical() + ")";
        ObjectInfo info = ObjectInfo.read(result.object().bytes(), name);
        ConstantCheck.verify(template, info, name);
        return new BuiltVariant(template, parameters, result, info);
    }
}
