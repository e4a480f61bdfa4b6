package io.kiln.agent.api;

import io.kiln.agent.api.LocalHttpServer.Response;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.Map;
import java.util.Objects;

/**
 * {@code GET /metrics} alone, on a TCP address of the operator's choosing, for a Prometheus server
 * to scrape (the agent's API is a Unix socket, or loopback TCP behind a token, which a scraper on
 * another host cannot use). It answers nothing else: no spec, status or flow record is reachable
 * here, only the figures, without a token. Opt-in ({@code kiln agent --metrics-listen}); served by
 * {@link LocalHttpServer} with the API's bounds (deadlines, at most 256 connections).
 */
public final class MetricsServer implements AutoCloseable {
    private final LocalHttpServer server;
    private final InetSocketAddress address;

    private MetricsServer(LocalHttpServer server, InetSocketAddress address) {
        this.server = server;
        this.address = address;
    }

    /**
     * Listens on {@code address} ({@link #address(String)}) and serves {@code metrics}.
     *
     * @throws UncheckedIOException the address cannot be listened on (in use, not this host's)
     */
    public static MetricsServer start(InetSocketAddress address, MetricsProvider metrics) {
        Objects.requireNonNull(metrics, "metrics");
        try {
            LocalHttpServer s = new LocalHttpServer(address, null, 64, LocalHttpServer.Limits.DEFAULT, x -> {
                if (!x.path().equals("/metrics")) {
                    return Response.of(404, "text/plain", "only /metrics is served here\n");
                }
                if (!x.method().equals("GET")) {
                    return new Response(405, "text/plain", "GET only\n".getBytes(java.nio.charset.StandardCharsets.UTF_8),
                            Map.of("Allow", "GET"));
                }
                return ApiServer.metrics(metrics, x);
            }, (status, message) -> Response.of(status, "text/plain", message + "\n"));
            return new MetricsServer(s, new InetSocketAddress(address.getAddress(), s.port()));
        } catch (IOException e) {
            throw new UncheckedIOException("metrics: cannot listen on " + text(address) + ": " + e.getMessage(), e);
        }
    }

    /**
     * Reads {@code ADDRESS:PORT}: an IPv4 literal, or an IPv6 literal in brackets, and a port
     * 0..65535 (0: an ephemeral one). Host names are refused: what the agent listens on should not
     * depend on DNS.
     *
     * @throws IllegalArgumentException with what was expected
     */
    public static InetSocketAddress address(String text) {
        String expected = "expected ADDRESS:PORT with an IP literal, e.g. 127.0.0.1:9962 or [::1]:9962";
        int colon = text.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("metrics address '" + text + "': " + expected);
        }
        String host = text.substring(0, colon);
        String port = text.substring(colon + 1);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
            if (!host.contains(":")) {
                throw new IllegalArgumentException("metrics address '" + text + "': " + expected);
            }
        } else if (!host.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}")) {
            throw new IllegalArgumentException("metrics address '" + text + "': " + expected);
        }
        int p;
        try {
            p = Integer.parseInt(port);
        } catch (NumberFormatException e) {
            p = -1;
        }
        if (p < 0 || p > 65535) {
            throw new IllegalArgumentException("metrics address '" + text + "': port '" + port + "': expected 0..65535");
        }
        try {
            return new InetSocketAddress(InetAddress.getByName(host), p); // a literal: no lookup
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("metrics address '" + text + "': " + expected);
        }
    }

    /** The address listened on (with the port chosen when started with 0). */
    public InetSocketAddress address() {
        return address;
    }

    /** {@code http://ADDRESS:PORT/metrics}. */
    public URI uri() {
        return URI.create("http://" + text(address) + "/metrics");
    }

    private static String text(InetSocketAddress a) {
        String host = a.getAddress().getHostAddress();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort();
    }

    @Override
    public void close() {
        server.close();
    }
}
