package io.kiln.agent.api;

import io.prometheus.metrics.core.metrics.Counter;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MetricsServerTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static HttpResponse<String> get(URI uri, String accept) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5));
        if (accept != null) {
            r.header("Accept", accept);
        }
        return HTTP.send(r.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void servesMetricsAloneWithoutAToken() throws Exception {
        Counter c = Counter.builder().name("kiln_test_things_total").help("Things.").labelNames("kind").build();
        c.labelValues("a").inc(3);
        try (MetricsServer s = MetricsServer.start(MetricsServer.address("127.0.0.1:0"), MetricsProvider.of(c))) {
            assertTrue(s.address().getPort() > 0);
            HttpResponse<String> text = get(s.uri(), null);
            assertEquals(200, text.statusCode());
            assertEquals("text/plain; version=0.0.4; charset=utf-8", text.headers().firstValue("Content-Type").orElse(""));
            assertTrue(text.body().contains("kiln_test_things_total{kind=\"a\"} 3.0\n"), text.body());
            // what Prometheus 2 asks for: OpenMetrics, whose counter family drops the _total
            HttpResponse<String> om = get(s.uri(), "application/openmetrics-text;version=1.0.0,"
                    + "text/plain;version=0.0.4;q=0.5,*/*;q=0.1");
            assertTrue(om.headers().firstValue("Content-Type").orElse("").startsWith("application/openmetrics-text"));
            assertTrue(om.body().contains("# TYPE kiln_test_things counter\n") && om.body().endsWith("# EOF\n"), om.body());
            // protobuf (native histograms) is not shipped: text instead of an error
            HttpResponse<String> pb = get(s.uri(), "application/vnd.google.protobuf;"
                    + "proto=io.prometheus.client.MetricFamily;encoding=delimited");
            assertEquals(200, pb.statusCode());
            assertTrue(pb.body().contains("kiln_test_things_total"), pb.body());
            assertEquals(404, get(URI.create("http://127.0.0.1:" + s.address().getPort() + "/v1/status"), null)
                    .statusCode());
            assertEquals(405, HTTP.send(HttpRequest.newBuilder(s.uri()).DELETE().build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode());
        }
    }

    @Test
    void readsAnAddressOrSaysWhatItExpects() {
        assertEquals(new InetSocketAddress("127.0.0.1", 9962), MetricsServer.address("127.0.0.1:9962"));
        assertEquals(9962, MetricsServer.address("[::1]:9962").getPort());
        for (String bad : new String[]{"localhost:9962", "9962", ":9962", "127.0.0.1:99999", "127.0.0.1:x", "[x]:1",
                "1.2.3:4"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MetricsServer.address(bad));
            assertTrue(e.getMessage().contains(bad), e.getMessage());
        }
    }
}
