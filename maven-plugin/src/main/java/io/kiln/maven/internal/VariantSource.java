package io.kiln.maven.internal;

import io.kiln.KilnException;
import io.kiln.build.BuiltVariant;
import io.kiln.build.VariantBuilder;
import io.kiln.cache.CacheOutcome;
import io.kiln.cache.VariantKey;
import io.kiln.object.ObjectInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;
import org.apache.maven.plugin.logging.Log;

/**
 * Gets the objects of variants the cheapest way: from the last build's output when the build state
 * says it is current (no rendering, no clang), else through the shared {@link VariantBuilder} (memory,
 * object cache, then clang), all stale variants at once. Logs why each one is built and how.
 */
public final class VariantSource {
    private final BuildState previous;
    private final Staleness staleness;
    private final Path outputDir;
    private final Supplier<VariantBuilder> builder;
    private final Log log;

    /** The variants in hand and the errors of those that could not be built. */
    public record Outcome(List<ReadyVariant> ready, List<KilnException> errors, int compiled, int cached,
                          int upToDate) {
    }

    public VariantSource(BuildState previous, Staleness staleness, Path outputDir, Supplier<VariantBuilder> builder,
                         Log log) {
        this.previous = previous;
        this.staleness = staleness;
        this.outputDir = outputDir;
        this.builder = builder;
        this.log = log;
    }

    /** Objects of all {@code variants}, in their order; {@code inputs} gives each template's input files. */
    public Outcome obtain(List<PlannedVariant> variants, Map<String, List<Path>> inputs) {
        Map<PlannedVariant, ReadyVariant> ready = new LinkedHashMap<>();
        Map<PlannedVariant, CompletableFuture<BuiltVariant>> building = new LinkedHashMap<>();
        List<KilnException> errors = new ArrayList<>();
        int upToDate = 0;
        for (PlannedVariant v : variants) {
            Optional<String> reason;
            try {
                reason = staleness.reason(v, inputs.get(v.template().name()));
            } catch (RuntimeException e) {
                reason = Optional.of("its build state cannot be checked (" + e.getMessage() + ")");
            }
            Optional<ReadyVariant> current = reason.isEmpty() ? fromOutput(v) : Optional.empty();
            if (current.isPresent()) {
                ready.put(v, current.get());
                upToDate++;
                log.debug("kiln: " + v.displayName() + " is up to date");
                continue;
            }
            String why = reason.orElse("its object in the output cannot be read");
            boolean fresh = why.equals("not built before") || why.equals("new variant");
            log.info("kiln: " + (fresh ? "building " : "rebuilding ") + v.displayName() + ": " + why);
            try {
                building.put(v, builder.get().buildAsync(v.template(), v.parameters()));
            } catch (KilnException e) {
                errors.add(e); // a render error is thrown before any future exists
            }
        }
        int compiled = 0;
        int cached = 0;
        for (Map.Entry<PlannedVariant, CompletableFuture<BuiltVariant>> e : building.entrySet()) {
            try {
                BuiltVariant b = e.getValue().join();
                var object = b.result().object();
                ready.put(e.getKey(), new ReadyVariant(e.getKey(), object.key(), object.bytes(), b.info(),
                        object.headers()));
                if (b.result().outcome() == CacheOutcome.MISS) {
                    compiled++;
                    log.info("kiln: compiled " + e.getKey().displayName() + " with clang in "
                            + b.result().nanos() / 1_000_000 + " ms (key " + object.key().shortForm() + ")");
                } else {
                    cached++;
                    log.info("kiln: " + e.getKey().displayName() + " from the object cache (key "
                            + object.key().shortForm() + ")");
                }
            } catch (CompletionException ex) {
                Throwable cause = ex.getCause() == null ? ex : ex.getCause();
                if (cause instanceof KilnException k) {
                    errors.add(k);
                } else {
                    throw new KilnException("kiln: " + e.getKey().displayName() + ": " + cause, cause);
                }
            }
        }
        List<ReadyVariant> ordered = new ArrayList<>();
        for (PlannedVariant v : variants) {
            if (ready.containsKey(v)) {
                ordered.add(ready.get(v));
            }
        }
        return new Outcome(ordered, errors, compiled, cached, upToDate);
    }

    private Optional<ReadyVariant> fromOutput(PlannedVariant v) {
        BuildState.VariantState s = previous.variant(v.displayName()).orElseThrow();
        try {
            byte[] bytes = Files.readAllBytes(outputDir.resolve(s.object()));
            ObjectInfo info = ObjectInfo.read(bytes, v.displayName());
            List<Path> headers = s.headers().keySet().stream().map(Path::of).toList();
            return Optional.of(new ReadyVariant(v, VariantKey.of(s.key()), bytes, info, headers));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
