package io.kiln.agent.identity;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kiln.agent.identity.internal.NumberPool;
import io.kiln.agent.internal.AtomicFile;
import io.kiln.agent.spec.Cidr;
import io.kiln.agent.spec.Labels;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Hands out stable numbers: a security identity per distinct label set, a CIDR identity per CIDR
 * named in a policy, a service id per service (numbering: {@link Identities}). Allocations are kept
 * in a JSON file, written atomically whenever they change ({@link #save}), so an agent restarted
 * after a crash gives every label set the identity it had: the programs and maps it adopts stay
 * right and nothing needs a reload.
 *
 * <p>The file lives under {@code /run/kiln} by default, beside the pins' state: both vanish at
 * reboot together with the pinned programs and maps in bpffs, so the file never describes maps
 * that no longer exist. A key unused for {@link #DEFAULT_GRACE} is forgotten; the grace covers an
 * agent start, when sources report one after another, and a pod deleted and created again.
 * Thread-safe.
 */
public final class IdentityAllocator {
    public static final Path DEFAULT_FILE = Path.of("/run/kiln/identities.json");
    public static final Duration DEFAULT_GRACE = Duration.ofMinutes(15);
    private static final int FORMAT = 1;
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final Path file;
    private final Clock clock;
    private final Duration grace;
    private final NumberPool<Labels> labels = new NumberPool<>(Identities.MIN_LABEL, Identities.MAX_LABEL);
    private final NumberPool<Cidr> cidrs = new NumberPool<>(Identities.MIN_CIDR, Identities.MIN_FQDN - 1);
    private final NumberPool<String> fqdnClasses = new NumberPool<>(Identities.MIN_FQDN, Identities.MAX_CIDR);
    private final NumberPool<String> services = new NumberPool<>(Identities.MIN_SERVICE, Identities.MAX_SERVICE);

    private IdentityAllocator(Path file, Clock clock, Duration grace) {
        this.file = file;
        this.clock = clock;
        this.grace = grace;
    }

    /**
     * The allocations in {@code file}, or none when it does not exist yet.
     *
     * @throws IdentityException when the file exists but is not an identity file
     */
    public static IdentityAllocator open(Path file) {
        return open(file, Clock.systemUTC(), DEFAULT_GRACE);
    }

    public static IdentityAllocator open(Path file, Clock clock, Duration grace) {
        IdentityAllocator a = new IdentityAllocator(file.toAbsolutePath().normalize(), clock, grace);
        a.load();
        return a;
    }

    /** Allocations kept only in memory (tests, a one-shot computation). */
    public static IdentityAllocator inMemory() {
        return new IdentityAllocator(null, Clock.systemUTC(), DEFAULT_GRACE);
    }

    public Optional<Path> file() {
        return Optional.ofNullable(file);
    }

    /** The label set's identity, allocated if it has none. */
    public synchronized int labelIdentity(Labels l) {
        return labels.get(l, clock.instant());
    }

    public synchronized Optional<Integer> findLabelIdentity(Labels l) {
        return labels.find(l);
    }

    /** The label set holding {@code identity}, if any. */
    public synchronized Optional<Labels> labelsOf(int identity) {
        return labels.holder(identity);
    }

    /**
     * Gives {@code identity} to the label set (a pin). Fails when another label set holds it and
     * is in use (see {@link #retain}); a holder not in use gives it up.
     *
     * @throws IdentityClashException naming the label set holding it
     */
    public synchronized void pin(Labels l, int identity) {
        if (!Identities.isLabelIdentity(identity)) {
            throw new IllegalArgumentException("identity " + identity + " is not in " + Identities.MIN_LABEL + ".."
                    + Identities.MAX_LABEL);
        }
        Optional<Labels> holder = labels.holder(identity);
        if (holder.isPresent() && !holder.get().equals(l) && labels.isInUse(holder.get())) {
            throw new IdentityClashException(identity, holder.get());
        }
        labels.assign(l, identity, clock.instant());
    }

    public synchronized int cidrIdentity(Cidr c) {
        return cidrs.get(c, clock.instant());
    }

    /**
     * The identity of a peer class of DNS-learned addresses, keyed by a text that names the class
     * completely (io.kiln.agent.plan: its selectors and rule CIDRs), allocated if it has none.
     */
    public synchronized int fqdnIdentity(String classKey) {
        return fqdnClasses.get(classKey, clock.instant());
    }

    /** As {@link #retain}, for the classes of DNS-learned addresses in use now. */
    public synchronized void retainFqdn(Collection<String> usedClasses) {
        fqdnClasses.retain(usedClasses, clock.instant(), grace);
    }

    public synchronized int serviceId(String name) {
        return services.get(name, clock.instant());
    }

    /**
     * Declares what is in use now: keys not among these and unused for longer than the grace
     * period are forgotten.
     */
    public synchronized void retain(Collection<Labels> usedLabels, Collection<Cidr> usedCidrs,
                                    Collection<String> usedServices) {
        Instant now = clock.instant();
        labels.retain(usedLabels, now, grace);
        cidrs.retain(usedCidrs, now, grace);
        services.retain(usedServices, now, grace);
    }

    /** Every label identity, by number. */
    public synchronized SortedMap<Integer, Labels> labelIdentities() {
        return new TreeMap<>(labels.entries());
    }

    /**
     * Writes the file if anything changed since the last save; returns whether it wrote.
     *
     * @throws IdentityException when it cannot be written
     */
    public synchronized boolean save() {
        if (file == null || !(labels.dirty() || cidrs.dirty() || services.dirty() || fqdnClasses.dirty())) {
            return false;
        }
        ObjectNode root = JSON.createObjectNode().put("format", FORMAT);
        ObjectNode cursors = root.putObject("next");
        cursors.put("labels", labels.cursor()).put("cidrs", cidrs.cursor()).put("services", services.cursor())
                .put("fqdnClasses", fqdnClasses.cursor());
        ArrayNode l = root.putArray("labels");
        labels.entries().forEach((n, k) -> {
            ObjectNode e = l.addObject().put("identity", n);
            ObjectNode m = e.putObject("labels");
            k.map().forEach(m::put);
        });
        ArrayNode c = root.putArray("cidrs");
        cidrs.entries().forEach((n, k) -> c.addObject().put("identity", n).put("cidr", k.toString()));
        ArrayNode f = root.putArray("fqdnClasses");
        fqdnClasses.entries().forEach((n, k) -> f.addObject().put("identity", n).put("class", k));
        ArrayNode s = root.putArray("services");
        services.entries().forEach((n, k) -> s.addObject().put("id", n).put("name", k));
        try {
            AtomicFile.write(file, JSON.writeValueAsBytes(root));
        } catch (IOException e) {
            throw new IdentityException("identity file " + file + ": write: " + e.getMessage(), e);
        }
        labels.clean();
        cidrs.clean();
        services.clean();
        fqdnClasses.clean();
        return true;
    }

    private void load() {
        JsonNode root;
        try {
            root = JSON.readTree(Files.readAllBytes(file));
        } catch (NoSuchFileException e) {
            return;
        } catch (IOException e) {
            throw corrupt(e.getMessage(), e);
        }
        try {
            if (root == null || root.path("format").asInt() != FORMAT) {
                throw new IllegalArgumentException("format is not " + FORMAT);
            }
            Instant now = clock.instant();
            for (JsonNode e : root.path("labels")) {
                Map<String, String> m = new TreeMap<>();
                for (Map.Entry<String, JsonNode> kv : e.path("labels").properties()) {
                    m.put(kv.getKey(), kv.getValue().textValue());
                }
                labels.load(Labels.of(m), e.path("identity").asInt(-1), now);
            }
            for (JsonNode e : root.path("cidrs")) {
                cidrs.load(Cidr.parse(e.path("cidr").asText()), e.path("identity").asInt(-1), now);
            }
            for (JsonNode e : root.path("fqdnClasses")) {
                fqdnClasses.load(e.path("class").asText(), e.path("identity").asInt(-1), now);
            }
            for (JsonNode e : root.path("services")) {
                services.load(e.path("name").asText(), e.path("id").asInt(-1), now);
            }
            labels.setCursor(root.path("next").path("labels").asInt());
            cidrs.setCursor(root.path("next").path("cidrs").asInt());
            services.setCursor(root.path("next").path("services").asInt());
            fqdnClasses.setCursor(root.path("next").path("fqdnClasses").asInt());
        } catch (RuntimeException e) {
            throw corrupt(e.getMessage(), e);
        }
    }

    private IdentityException corrupt(String why, Exception e) {
        return new IdentityException("identity file " + file + " is not a Kiln identity file (" + why + "); move it"
                + " away to start over (endpoints then get new identities and are reloaded)", e);
    }
}
