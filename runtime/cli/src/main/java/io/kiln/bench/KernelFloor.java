package io.kiln.bench;

import io.kiln.FileTrees;
import io.kiln.compile.ClangCompiler;
import io.kiln.template.RenderedSource;
import io.kiln.lab.Command;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The same work as bringing the endpoints up, done by clang and the kernel alone, on a pool of
 * the agent's parallelism: clang runs (once per variant, or once per endpoint the pre-templating
 * way), then one {@code bpftool prog loadall} per endpoint of its object with its constants written
 * into {@code .rodata} (so the verifier walks what Kiln loads), reusing the node maps pinned once,
 * as Kiln does. A load starts as soon as its object is compiled. Nothing is attached.
 */
final class KernelFloor {
    private static final Duration BPFTOOL_TIMEOUT = Duration.ofMinutes(2);

    /** One endpoint's load: its variant and its object file with its constants in place. */
    record Load(int endpointId, int variant, Path object) {
    }

    /**
     * @param seconds      wall time from the first clang run to the last load
     * @param clangSeconds each clang run's own time
     * @param loadSeconds  each bpftool load's time (process, libbpf, verifier, map creation)
     */
    record Result(double seconds, double[] clangSeconds, double[] loadSeconds) {
    }

    private final ClangCompiler clang;
    private final String bpftool;
    private final Path pinDir;
    private final Map<String, Path> nodeMaps;
    private final int parallelism;

    /**
     * @param pinDir   a bpffs folder of the benchmark's own for the programs' pins
     * @param nodeMaps node map name to the pin every load reuses
     */
    KernelFloor(ClangCompiler clang, String bpftool, Path pinDir, Map<String, Path> nodeMaps, int parallelism) {
        this.clang = clang;
        this.bpftool = bpftool;
        this.pinDir = pinDir;
        this.nodeMaps = Map.copyOf(nodeMaps);
        this.parallelism = parallelism;
    }

    /**
     * Runs the clang runs and loads and times them; every program loaded is unloaded before it returns.
     *
     * @param clangPerEndpoint false: one clang run per variant, shared by its endpoints; true: one per endpoint
     */
    Result run(List<RenderedSource> variants, List<Load> loads, boolean clangPerEndpoint) {
        ExecutorService pool = Executors.newFixedThreadPool(parallelism, r -> {
            Thread t = new Thread(r, "kiln-bench-floor");
            t.setDaemon(true);
            return t;
        });
        List<Double> clangTimes = java.util.Collections.synchronizedList(new ArrayList<>());
        double[] loadTimes = new double[loads.size()];
        long start = System.nanoTime();
        try {
            List<CompletableFuture<Void>> all = new ArrayList<>();
            List<CompletableFuture<Void>> perVariant = new ArrayList<>();
            if (!clangPerEndpoint) {
                for (RenderedSource v : variants) {
                    perVariant.add(CompletableFuture.runAsync(() -> clangTimes.add(compile(v)), pool));
                }
            }
            for (int i = 0; i < loads.size(); i++) {
                Load l = loads.get(i);
                int index = i;
                CompletableFuture<Void> compiled = clangPerEndpoint
                        ? CompletableFuture.runAsync(() -> clangTimes.add(compile(variants.get(l.variant()))), pool)
                        : perVariant.get(l.variant());
                all.add(compiled.thenRunAsync(() -> loadTimes[index] = load(l), pool));
            }
            CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).join();
            double seconds = (System.nanoTime() - start) / 1e9;
            return new Result(seconds, clangTimes.stream().mapToDouble(Double::doubleValue).toArray(), loadTimes);
        } catch (java.util.concurrent.CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        } finally {
            pool.shutdownNow();
            deleteTree(pinDir); // the pins were the programs' only holders
        }
    }

    private double compile(RenderedSource source) {
        long t0 = System.nanoTime();
        clang.compile(source);
        return (System.nanoTime() - t0) / 1e9;
    }

    private double load(Load l) {
        List<String> command = new ArrayList<>(List.of(bpftool, "prog", "loadall", l.object().toString(),
                pinDir.resolve(Integer.toString(l.endpointId())).toString(), "type", "classifier"));
        nodeMaps.forEach((name, pin) -> command.addAll(List.of("map", "name", name, "pinned", pin.toString())));
        long t0 = System.nanoTime();
        Command.run(command, BPFTOOL_TIMEOUT).orThrow();
        return (System.nanoTime() - t0) / 1e9;
    }

    /** Pins the node maps of {@code object} under {@code dir} (by a load with pinmaps), its programs unloaded again. */
    static Map<String, Path> pinNodeMaps(String bpftool, Path object, Path dir, List<String> nodeMapNames) {
        Path programs = dir.resolve("programs");
        Path maps = dir.resolve("maps");
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("create " + dir + ": " + e.getMessage(), e);
        }
        Command.run(List.of(bpftool, "prog", "loadall", object.toString(), programs.toString(), "type", "classifier",
                "pinmaps", maps.toString()), BPFTOOL_TIMEOUT).orThrow();
        deleteTree(programs);
        Map<String, Path> pins = new java.util.TreeMap<>();
        for (String name : nodeMapNames) {
            Path pin = maps.resolve(name);
            if (!Files.exists(pin)) {
                throw new IllegalStateException("bpftool did not pin map " + name + " under " + maps);
            }
            pins.put(name, pin);
        }
        return pins;
    }

    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try {
            FileTrees.delete(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("delete " + dir + ": " + e.getMessage(), e);
        }
    }
}
