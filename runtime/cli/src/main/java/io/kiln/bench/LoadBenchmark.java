package io.kiln.bench;

import io.kiln.runtime.AttachMode;
import io.kiln.runtime.AttachedEndpoint;
import io.kiln.runtime.EndpointLoader;
import io.kiln.runtime.Endpoint;
import io.kiln.runtime.SpecializedEndpoint;
import io.kiln.runtime.TemplateObject;
import io.kiln.template.Hook;
import io.kiln.template.ProgramDecl;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleSupplier;
import java.util.concurrent.TimeUnit;

/**
 * How long Kiln takes to put one endpoint's programs on its interface (specialize, load, attach,
 * record), against {@code bpftool prog loadall} of the same object: the kernel's own floor for
 * loading it (bpftool also creates every map and pins the programs, and is a process of its own).
 * The two alternate run by run, so a machine that gets slower or faster during the benchmark
 * affects both alike.
 *
 * <p>Three Kiln figures, each creating every map as bpftool does unless said otherwise: the whole
 * attach; specialize and load alone (what bpftool does too: the difference to the whole is the
 * attach, where the kernel's tcx link creation waits for an RCU grace period per hook); and the
 * whole attach reusing the node maps a previous endpoint pinned, as every endpoint but a node's
 * first does.
 */
public final class LoadBenchmark {
    public static final int ENDPOINT_ID = 4001;
    private static final long BPFTOOL_TIMEOUT_SECONDS = 120;

    /**
     * Medians in milliseconds. {@code kilnMillis}: specialize, load, attach and record, creating
     * every map; {@code kilnSpecializeMillis}: specialize and load only (the part bpftool also does);
     * {@code kilnNodeMapsPinnedMillis}: the whole attach with the node maps already pinned.
     */
    public record Result(double kilnMillis, double bpftoolMillis, double kilnSpecializeMillis,
                         double kilnNodeMapsPinnedMillis, AttachMode mode) {
        public double ratio() {
            return kilnMillis / bpftoolMillis;
        }

        public double specializeRatio() {
            return kilnSpecializeMillis / bpftoolMillis;
        }
    }

    private LoadBenchmark() {
    }

    /**
     * @param constants encoded endpoint constants for Kiln's loads (bpftool loads the object's defaults)
     */
    public static Result run(BenchLab lab, TemplateObject object, Map<String, byte[]> constants, int runs, int warmup,
                             AttachMode mode, String bpftool) {
        EndpointLoader loader = lab.loader(mode);
        Endpoint endpoint = new Endpoint(ENDPOINT_ID, BenchLab.HOST_IF, constants, lab.hostNs());
        Path objectFile = writeObject(object);
        try {
            List<DoubleSupplier> kinds = List.of(
                    () -> kilnCold(loader, object, endpoint),
                    () -> bpftool(lab, objectFile, object, bpftool),
                    () -> specializeOnly(loader, object, endpoint),
                    () -> kilnNodeMapsPinned(loader, object, endpoint));
            double[][] samples = new double[kinds.size()][runs];
            for (int i = 0; i < warmup + runs; i++) {
                // rotate which goes first, so that none always runs right after another's cleanup
                for (int k = 0; k < kinds.size(); k++) {
                    int kind = (i + k) % kinds.size();
                    double millis = kinds.get(kind).getAsDouble();
                    if (i >= warmup) {
                        samples[kind][i - warmup] = millis;
                    }
                }
            }
            return new Result(median(samples[0]), median(samples[1]), median(samples[2]), median(samples[3]), mode);
        } finally {
            try {
                Files.deleteIfExists(objectFile);
            } catch (IOException ignored) {
                // a temp file; the OS cleans up
            }
        }
    }

    /** Specialize and load only, as bpftool loads: every map created, nothing attached. */
    private static double specializeOnly(EndpointLoader loader, TemplateObject object, Endpoint endpoint) {
        loader.removeNodeMaps();
        long start = System.nanoTime();
        SpecializedEndpoint loaded = endpoint.namespace().call(() -> loader.specializer().specialize(object, endpoint));
        double millis = (System.nanoTime() - start) / 1e6;
        loaded.close();
        loader.detach(endpoint.id()); // its pins
        loader.removeNodeMaps();
        return millis;
    }

    /** Attach with no node map pinned yet: every map is created, as with bpftool. */
    private static double kilnCold(EndpointLoader loader, TemplateObject object, Endpoint endpoint) {
        loader.removeNodeMaps();
        long start = System.nanoTime();
        AttachedEndpoint attached = loader.attach(object, endpoint);
        double millis = (System.nanoTime() - start) / 1e6;
        loader.detach(attached);
        return millis;
    }

    /** Attach while the node maps are pinned (a first endpoint made them): only the endpoint's own maps are created. */
    private static double kilnNodeMapsPinned(EndpointLoader loader, TemplateObject object, Endpoint endpoint) {
        loader.detach(loader.attach(object, endpoint)); // pins the node maps
        long start = System.nanoTime();
        AttachedEndpoint attached = loader.attach(object, endpoint);
        double millis = (System.nanoTime() - start) / 1e6;
        loader.detach(attached);
        loader.removeNodeMaps();
        return millis;
    }

    private static double bpftool(BenchLab lab, Path objectFile, TemplateObject object, String bpftool) {
        Path pins = lab.pinRoot().resolve("bpftool");
        List<String> command = new ArrayList<>(List.of(bpftool, "prog", "loadall", objectFile.toString(), pins.toString()));
        String type = programType(object);
        if (type != null) {
            command.addAll(List.of("type", type));
        }
        try {
            Files.createDirectories(lab.pinRoot());
            long start = System.nanoTime();
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getOutputStream().close();
            byte[] output = p.getInputStream().readAllBytes();
            if (!p.waitFor(BPFTOOL_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + ": no exit within "
                        + BPFTOOL_TIMEOUT_SECONDS + " s");
            }
            double millis = (System.nanoTime() - start) / 1e6;
            if (p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + ": exit " + p.exitValue() + "\n"
                        + new String(output, StandardCharsets.UTF_8).strip());
            }
            return millis;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + bpftool + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } finally {
            BenchLab.deleteTree(pins); // the pins were the programs' only holders: this unloads them
        }
    }

    /** bpftool's {@code type} for the object's programs when they are all of one kind, else null (bpftool guesses from sections). */
    static String programType(TemplateObject object) {
        List<Hook> hooks = object.template().programs().stream().map(ProgramDecl::hook).distinct().toList();
        if (hooks.stream().allMatch(h -> h == Hook.TC_INGRESS || h == Hook.TC_EGRESS)) {
            return "classifier";
        }
        if (hooks.stream().allMatch(h -> h == Hook.XDP)) {
            return "xdp";
        }
        return null;
    }

    private static Path writeObject(TemplateObject object) {
        try {
            Path file = Files.createTempFile("kiln-bench-" + object.template().name() + "-", ".o");
            Files.write(file, object.bytes());
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static double median(double[] samples) {
        double[] s = samples.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2.0;
    }
}
