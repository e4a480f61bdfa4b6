package io.kiln.bench;

import io.kiln.lab.UdpFlow;

import io.kiln.runtime.AttachMode;
import io.kiln.runtime.AttachedEndpoint;
import io.kiln.runtime.EndpointLoader;
import io.kiln.runtime.Endpoint;
import io.kiln.runtime.TemplateObject;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Swaps under traffic: sequence-numbered UDP from the endpoint's side of the veth to the host
 * side, through the endpoint's programs, while the programs are swapped again and again between
 * two values of one constant; then counts what was lost or duplicated and how long each swap
 * took (specialize, load and the atomic replace on every hook).
 */
public final class SwapBenchmark {
    public static final int ENDPOINT_ID = 4002;
    private static final int PORT = 47_000;
    /** The whole run stops here whatever the settings: a benchmark must end. */
    private static final Duration LIMIT = Duration.ofMinutes(10);

    /**
     * The counts and the swap times in milliseconds. {@code programDrops}: packets the endpoint's
     * programs themselves dropped, by their metrics map (the endpoint template's), or -1 without one.
     */
    public record Result(int swaps, UdpFlow.Result traffic, long programDrops, double swapMillisP50,
                         double swapMillisP99, double[] swapMillis, AttachMode mode) {
    }

    private SwapBenchmark() {
    }

    /**
     * @param constants      encoded constants of the endpoint (both programs)
     * @param swapConstant   the constant that alternates, with {@code a} and {@code b} as its two values
     */
    public static Result run(BenchLab lab, TemplateObject object, Map<String, byte[]> constants, String swapConstant,
                             byte[] a, byte[] b, int swaps, int rate, AttachMode mode) {
        EndpointLoader loader = lab.loader(mode);
        Endpoint first = endpoint(lab, constants, swapConstant, a);
        Endpoint second = endpoint(lab, constants, swapConstant, b);
        long deadline = System.nanoTime() + LIMIT.toNanos();
        double[] millis = new double[swaps];
        int done = 0;
        UdpFlow.Result traffic;
        long programDrops;
        try (AttachedEndpoint attached = loader.attach(object, first)) {
            Conventions.allowAll(attached);
            try (UdpFlow flow = UdpFlow.start(lab.endpointNs(), lab.hostNs(),
                    new InetSocketAddress(BenchLab.HOST_ADDR, PORT), rate, Integer.MAX_VALUE - 1L, LIMIT)) {
                if (!flow.awaitReceived(1_000, Duration.ofSeconds(10))) {
                    throw new IllegalStateException("no traffic passes the programs of " + object + " before any swap ("
                            + flow.receivedSoFar() + " of " + flow.sentSoFar() + " datagrams arrived); the benchmark "
                            + "needs a template that passes UDP from " + BenchLab.ENDPOINT_ADDR + " to "
                            + BenchLab.HOST_ADDR);
                }
                while (done < swaps && System.nanoTime() < deadline && flow.isSending()) {
                    long start = System.nanoTime();
                    loader.swap(attached, object, done % 2 == 0 ? second : first);
                    millis[done++] = (System.nanoTime() - start) / 1e6;
                }
                sleep(200); // traffic after the last swap too
                traffic = flow.stop();
            }
            programDrops = Conventions.programDrops(attached);
            loader.detach(attached);
        }
        double[] measured = Arrays.copyOf(millis, done);
        return new Result(done, traffic, programDrops, percentile(measured, 50), percentile(measured, 99), measured,
                mode);
    }

    private static Endpoint endpoint(BenchLab lab, Map<String, byte[]> constants, String name, byte[] value) {
        Map<String, byte[]> c = new HashMap<>(constants);
        c.put(name, value);
        return new Endpoint(ENDPOINT_ID, BenchLab.HOST_IF, c, lab.hostNs());
    }

    public static double percentile(double[] samples, double p) {
        if (samples.length == 0) {
            return 0;
        }
        double[] s = samples.clone();
        Arrays.sort(s);
        int index = (int) Math.ceil(p / 100.0 * s.length) - 1;
        return s[Math.max(0, Math.min(s.length - 1, index))];
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
