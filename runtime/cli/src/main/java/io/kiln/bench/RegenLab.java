package io.kiln.bench;

import io.kiln.lab.Command;
import io.kiln.lab.NetworkNamespace;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The interfaces of the regeneration benchmark: one network namespace of its own holding
 * {@code N} veth pairs ({@code rN} where programs attach, {@code rpN} its peer), made with one
 * {@code ip -batch} run. Each endpoint's address is in 198.18.0.0/15. {@link #close()} deletes the
 * namespace, and with it every veth and hook.
 */
final class RegenLab implements AutoCloseable {
    private final NetworkNamespace ns;
    private final List<Seat> seats;

    /** One endpoint: id 1..N, its interface, address and the index of its variant. */
    record Seat(int id, String ifname, String ipv4, int variant) {
    }

    private RegenLab(NetworkNamespace ns, List<Seat> seats) {
        this.ns = ns;
        this.seats = seats;
    }

    static RegenLab create(int endpoints, int variants) {
        NetworkNamespace ns = NetworkNamespace.create("bench-regen");
        try {
            List<Seat> seats = new ArrayList<>();
            StringBuilder batch = new StringBuilder();
            for (int id = 1; id <= endpoints; id++) {
                String ifname = "r" + id;
                seats.add(new Seat(id, ifname, "198." + (18 + id / 62500) + "." + (id / 250 % 250) + "." + (id % 250 + 1),
                        (id - 1) % variants));
                batch.append("link add ").append(ifname).append(" type veth peer name rp").append(id).append('\n');
                batch.append("link set ").append(ifname).append(" up\n");
                batch.append("link set rp").append(id).append(" up\n");
            }
            Path file = Files.createTempFile("kiln-bench-regen-", ".ip");
            try {
                Files.writeString(file, batch);
                Command.run(List.of("ip", "-n", ns.name(), "-batch", file.toString()), Duration.ofMinutes(5)).orThrow();
            } finally {
                Files.deleteIfExists(file);
            }
            return new RegenLab(ns, List.copyOf(seats));
        } catch (IOException e) {
            ns.close();
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            ns.close();
            throw e;
        }
    }

    String namespace() {
        return ns.name();
    }

    List<Seat> seats() {
        return seats;
    }

    @Override
    public void close() {
        ns.close();
    }
}
