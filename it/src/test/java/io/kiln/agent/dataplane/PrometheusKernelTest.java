package io.kiln.agent.dataplane;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kiln.agent.Agent;
import io.kiln.agent.flow.FlowExport;
import io.kiln.agent.flow.FlowPipeline;
import io.kiln.agent.flow.FlowRecord;
import io.kiln.agent.api.MetricsServer;
import io.kiln.runtime.PinLayout;
import io.kiln.testing.KernelRequirements;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.InputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.kiln.agent.dataplane.AgentLab.ip;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A real Prometheus server (Debian's {@code prometheus}) started by the test scrapes the agent's
 * {@code --metrics-listen} address every second while two endpoints exchange known traffic, and the
 * flow metrics are read back through Prometheus' own query API ({@code /api/v1/query}): flows and
 * bytes by identity pair equal what the agent's flow records say, the denied datagrams are there
 * as drops (from the flow events and from the BPF drop counters read at scrape time), the round
 * trips are in the histogram and nothing was lost; the flow export file holds the same records as
 * the agent's API. Prometheus and the agent's metrics listen on
 * ephemeral ports of 127.0.0.1; the traffic stays between the test's namespaces.
 */
class PrometheusKernelTest {
    private static final int TCP = 8080;
    private static final int UDP = 9000;
    private static final int CONNECTIONS = 3;
    private static final int SENT = 1000;
    private static final int DENIED = 4;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static Path prometheusBinary() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path p = Path.of(dir, "prometheus");
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        String reason = "the prometheus binary is not on PATH (Debian: apt-get install prometheus; ./kiln test installs it)";
        if ("true".equals(System.getenv("CI"))) {
            Assertions.fail(reason + " (CI=true, so this fails instead of skipping)");
        }
        KernelRequirements.unmet(reason);
        Assumptions.abort(reason);
        return null;
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** A Prometheus server of its own: config, data and log in {@code dir}, listening on 127.0.0.1:port. */
    private record Prometheus(Process process, int port, Path log) implements AutoCloseable {
        static Prometheus start(Path binary, Path dir, URI target) throws Exception {
            Files.createDirectories(dir.resolve("data"));
            Path config = Files.writeString(dir.resolve("prometheus.yml"), """
                    global:
                      scrape_interval: 1s
                      evaluation_interval: 1s
                    scrape_configs:
                      - job_name: kiln
                        scrape_interval: 1s
                        scrape_timeout: 900ms
                        metrics_path: %s
                        static_configs:
                          - targets: ['%s:%d']
                    """.formatted(target.getPath(), target.getHost(), target.getPort()));
            Path log = dir.resolve("prometheus.log");
            for (int attempt = 0; ; attempt++) { // the free port may be taken between our look and its bind
                int port = freePort();
                Process p = new ProcessBuilder(binary.toString(), "--config.file=" + config,
                        "--storage.tsdb.path=" + dir.resolve("data"), "--web.listen-address=127.0.0.1:" + port,
                        "--storage.tsdb.retention.time=1h", "--log.level=info")
                        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
                Prometheus prom = new Prometheus(p, port, log);
                if (prom.awaitReady(Duration.ofSeconds(60)) || attempt == 2) {
                    if (!p.isAlive()) {
                        prom.close();
                        throw new AssertionError("prometheus exited " + p.exitValue() + ": " + prom.logTail());
                    }
                    return prom;
                }
                prom.close();
            }
        }

        private boolean awaitReady(Duration within) throws Exception {
            long deadline = System.nanoTime() + within.toNanos();
            while (System.nanoTime() < deadline && process.isAlive()) {
                try {
                    if (HTTP.send(HttpRequest.newBuilder(uri("/-/ready")).timeout(Duration.ofSeconds(2)).build(),
                            HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                        return true;
                    }
                } catch (java.io.IOException notYet) {
                    // not listening yet
                }
                Thread.sleep(200);
            }
            return false;
        }

        URI uri(String path) {
            return URI.create("http://127.0.0.1:" + port + path);
        }

        /** The value of an instant query that yields one series, or null when it yields none. */
        Double query(String promql) throws Exception {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(uri("/api/v1/query?query="
                    + URLEncoder.encode(promql, StandardCharsets.UTF_8))).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString());
            JsonNode body = JSON.readTree(r.body());
            if (r.statusCode() != 200 || !"success".equals(body.path("status").asText())) {
                throw new AssertionError("query " + promql + ": HTTP " + r.statusCode() + " " + r.body());
            }
            JsonNode result = body.path("data").path("result");
            if (result.size() == 0) {
                return null;
            }
            if (result.size() > 1) {
                throw new AssertionError("query " + promql + ": more than one series: " + result);
            }
            return Double.parseDouble(result.get(0).path("value").get(1).asText());
        }

        String logTail() {
            try {
                List<String> lines = Files.readAllLines(log);
                return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
            } catch (java.io.IOException e) {
                return "(no log: " + e + ")";
            }
        }

        @Override
        public void close() throws Exception {
            process.destroy();
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    /** Polls the query until it yields {@code expected}; fails with what it last saw and the log's tail. */
    private static void awaitValue(Prometheus prom, String promql, double expected) throws Exception {
        Double[] last = new Double[1];
        try {
            AgentLab.eventually(promql + " = " + expected, () -> {
                last[0] = prom.query(promql);
                return last[0] != null && Math.abs(last[0] - expected) < 1e-9;
            }, () -> "last value " + last[0]);
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "\nprometheus log:\n" + prom.logTail(), e);
        }
    }

    private static void connection(AgentLab lab) throws Exception {
        ServerSocket server = lab.ns(2).call(() -> new ServerSocket(TCP, 5, InetAddress.getByAddress(new byte[4])));
        try (server) {
            server.setSoTimeout(5000);
            CompletableFuture<Integer> served = CompletableFuture.supplyAsync(() -> {
                try (Socket s = server.accept()) {
                    s.setSoTimeout(5000);
                    InputStream in = s.getInputStream();
                    int n = 0;
                    for (int r; n < SENT && (r = in.read(new byte[SENT])) >= 0; ) {
                        n += r;
                    }
                    s.getOutputStream().write(new byte[SENT]);
                    return n;
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            int echoed = lab.ns(1).call(() -> {
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress(ip(2), TCP), 5000);
                    s.setSoTimeout(5000);
                    s.getOutputStream().write(new byte[SENT]);
                    int n = 0;
                    byte[] buf = new byte[8192];
                    for (int r; (r = s.getInputStream().read(buf)) >= 0; ) {
                        n += r;
                    }
                    return n;
                }
            });
            assertEquals(SENT, served.get(10, TimeUnit.SECONDS));
            assertEquals(SENT, echoed);
        }
    }

    @Test
    void prometheusScrapesTheFlowMetricsOfRealTraffic(@TempDir Path tmp) throws Exception {
        Path binary = prometheusBinary();
        try (AgentLab lab = AgentLab.create(tmp, 1, 2)) {
            lab.writeSpec("endpoints", "client.yaml", lab.endpointYaml(1, "{app: client}"));
            lab.writeSpec("endpoints", "web.yaml", lab.endpointYaml(2, "{app: web}"));
            lab.writeSpec("policies", "web.yaml", """
                    name: web
                    endpointSelector: { matchLabels: { app: web } }
                    ingress:
                      - fromEndpoints: [ { matchLabels: { app: client } } ]
                        toPorts: [ { port: 8080, protocol: TCP } ]
                    """);
            Agent agent = lab.start(lab.agent(lab.dataplane()).specDirectory(lab.specDir, Duration.ofSeconds(2))
                    .flows(new FlowPipeline.Options(new PinLayout(lab.pinRoot).nodeDir(), 4096, 4096, Duration.ZERO))
                    .flowExport(FlowExport.Options.of(tmp.resolve("flows.jsonl")))
                    .metricsListen(MetricsServer.address("127.0.0.1:0")));
            lab.awaitReady(agent, 1, 2);
            AgentLab.eventually("the flow pipeline reads the ring", () -> agent.flows().orElseThrow().reading(),
                    () -> "");
            MetricsServer metrics = agent.metricsServer().orElseThrow();
            int client = agent.plan().endpoints().get(1).identity();
            int web = agent.plan().endpoints().get(2).identity();

            try (Prometheus prom = Prometheus.start(binary, tmp.resolve("prometheus"), metrics.uri())) {
                awaitValue(prom, "up{job=\"kiln\"}", 1);

                long after = agent.flows().orElseThrow().lastSeq();
                for (int i = 0; i < CONNECTIONS; i++) {
                    connection(lab);
                }
                lab.ns(1).call(() -> { // denied by web's policy (UDP): one drop event per datagram
                    try (DatagramSocket s = new DatagramSocket()) {
                        for (int i = 0; i < DENIED; i++) {
                            s.send(new DatagramPacket(new byte[20], 20, new InetSocketAddress(ip(2), UDP)));
                        }
                    }
                    return null;
                });
                // what the agent's own records say: the client's end records (the opener's, as the metrics count)
                Map<String, String> q = Map.of("after", Long.toString(after), "port", Integer.toString(TCP),
                        "protocol", "TCP");
                AgentLab.eventually(CONNECTIONS + " ends at the client", () -> ends(agent, q).size() == CONNECTIONS,
                        () -> ends(agent, q).toString());
                long bytes = ends(agent, q).stream().mapToLong(r -> r.bytesFwd() + r.bytesRev()).sum();
                assertTrue(bytes >= 2L * SENT * CONNECTIONS, "payload both ways at least: " + bytes);

                String pair = "src_identity=\"" + Integer.toUnsignedString(client) + "\",dst_identity=\""
                        + Integer.toUnsignedString(web) + "\"";
                awaitValue(prom, "kiln_flows_total{" + pair + ",verdict=\"FORWARDED\"}", CONNECTIONS);
                awaitValue(prom, "kiln_flow_bytes_total{" + pair + ",verdict=\"FORWARDED\"}", bytes);
                awaitValue(prom, "kiln_flows_total{" + pair + ",verdict=\"DROPPED\"}", DENIED);
                awaitValue(prom, "kiln_flow_rtt_seconds_count", CONNECTIONS);
                // read from web's BPF drop counters at each scrape
                awaitValue(prom, "kiln_endpoint_drops_total{endpoint=\"2\",direction=\"ingress\","
                        + "reason=\"POLICY_DENIED\",template=\"endpoint\"}", DENIED);
                Double rttSum = prom.query("kiln_flow_rtt_seconds_sum");
                assertTrue(rttSum != null && rttSum > 0 && rttSum < CONNECTIONS, "round trips on one host: " + rttSum);
                assertEquals(0.0, prom.query("kiln_flow_events_lost_total"));
                assertEquals(0.0, prom.query("kiln_flow_identity_overflow_total"));
                assertEquals(1.0, prom.query("count(kiln_flows_total{verdict=\"FORWARDED\"})"),
                        "one identity pair only: the test's traffic");
                awaitValue(prom, "kiln_flow_export_records_total", agent.flows().orElseThrow().lastSeq());
            }
            // the export file holds every record, as the API gives them
            List<FlowRecord> exported = Files.readAllLines(tmp.resolve("flows.jsonl")).stream()
                    .map(FlowRecord::fromJson).toList();
            assertEquals(agent.flows().orElseThrow().lastSeq(), exported.size());
            assertEquals(ends(agent, Map.of("port", Integer.toString(TCP), "protocol", "TCP")),
                    exported.stream().filter(r -> r.type().equals("end") && r.endpointId() == 1
                            && r.destination().port() == TCP).toList());
        }
    }

    private static List<FlowRecord> ends(Agent agent, Map<String, String> q) throws Exception {
        return agent.flows().orElseThrow().query(q).lines().map(FlowRecord::fromJson)
                .filter(r -> r.type().equals("end") && r.endpointId() == 1).toList();
    }
}
