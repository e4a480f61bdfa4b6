package io.kiln.demo.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.kiln.agent.plan.ChangeKind;
import io.kiln.agent.plan.EndpointPlan;
import io.kiln.agent.plan.PlanFingerprint;
import io.kiln.agent.policy.NodeMapOp;
import io.kiln.agent.policy.PolicyKey;
import io.kiln.agent.policy.PolicyOp;
import io.kiln.agent.reconcile.ActualEndpoint;
import io.kiln.agent.reconcile.AdoptedState;
import io.kiln.agent.reconcile.EndpointDataplane;
import io.kiln.agent.reconcile.RegenerateResult;
import io.kiln.agent.spec.Addresses;
import io.kiln.bpf.BpfMap;
import io.kiln.build.BuiltVariant;
import io.kiln.build.VariantBuilder;
import io.kiln.runtime.AttachedEndpoint;
import io.kiln.runtime.Dataplane;
import io.kiln.runtime.Endpoint;
import io.kiln.runtime.Netns;
import io.kiln.runtime.TemplateObject;
import io.kiln.template.Constants;
import io.kiln.testing.EndpointMaps;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The smallest {@link EndpointDataplane} the demo runs on until the agent's production one
 * ({@code io.kiln.agent.dataplane}) is wired in: objects through the {@link VariantBuilder},
 * attach and swap through {@link Dataplane}, map writes with the endpoint template's layouts.
 * The plan's fingerprint is kept in a file beside the dataplane's state files.
 */
public final class InterimDataplane implements EndpointDataplane {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Dataplane dataplane;
    private final VariantBuilder builder;
    private final Path fingerprints;
    private final Map<Integer, AttachedEndpoint> attached = new ConcurrentHashMap<>();

    public InterimDataplane(Dataplane dataplane, VariantBuilder builder) {
        this.dataplane = dataplane;
        this.builder = builder;
        this.fingerprints = dataplane.stateDir().resolve("fingerprints");
    }

    @Override
    public RegenerateResult regenerate(EndpointPlan plan, ChangeKind kind) {
        BuiltVariant v = builder.build(plan.template(), plan.build());
        TemplateObject object = TemplateObject.of(plan.template(), v.result().object());
        Netns ns = plan.namespace() == null ? Netns.host() : Netns.named(plan.namespace());
        Map<String, Object> values = new TreeMap<>(plan.constants());
        Link link = Link.of(plan.namespace(), plan.interfaceName());
        if (link == null) {
            throw new IllegalStateException(plan.label() + ": no interface " + plan.interfaceName() + " in " + ns);
        }
        plan.template().constant("ENDPOINT_IFINDEX").ifPresent(c -> values.put(c.name(), (long) link.ifindex()));
        plan.template().constant("NODE_MAC").ifPresent(c -> values.put(c.name(), link.mac()));
        Endpoint endpoint = new Endpoint(plan.id(), plan.interfaceName(), Constants.encodeAll(plan.template(), values), ns);
        AttachedEndpoint a = attached.get(plan.id());
        if (kind == ChangeKind.RECREATE && a != null) {
            dataplane.detach(a);
            attached.remove(plan.id());
            a = null;
        }
        if (a == null && dataplane.endpointIds().contains(plan.id())) {
            a = dataplane.adopt(plan.id());
        }
        if (a == null) {
            a = dataplane.attach(object, endpoint);
        } else {
            dataplane.swap(a, object, endpoint);
        }
        attached.put(plan.id(), a);
        writePolicy(a, plan);
        writeFingerprint(plan.id(), plan.fingerprint());
        return new RegenerateResult(a.programIds(), a.variantKey().orElse(null));
    }

    private static void writePolicy(AttachedEndpoint a, EndpointPlan plan) {
        try (BpfMap policy = a.openMap("policy")) {
            Set<String> wanted = new HashSet<>();
            plan.policy().entries().forEach((k, action) -> {
                byte[] key = key(k);
                wanted.add(java.util.HexFormat.of().formatHex(key));
                policy.update(key, EndpointMaps.policyValue(action == io.kiln.agent.policy.PolicyAction.ALLOW
                        ? EndpointMaps.ALLOW : EndpointMaps.DENY));
            });
            for (byte[] k : policy.keys()) {
                if (!wanted.contains(java.util.HexFormat.of().formatHex(k))) {
                    policy.delete(k);
                }
            }
        }
    }

    private static byte[] key(PolicyKey k) {
        return EndpointMaps.policyKey(Integer.toUnsignedLong(k.identity()), k.port(), k.protocol(),
                k.direction().value());
    }

    @Override
    public void applyPolicyOps(int endpointId, List<PolicyOp> ops) {
        try (BpfMap policy = BpfMap.openPinned(dataplane.pins().endpointMap(endpointId, "policy"))) {
            for (PolicyOp op : ops) {
                if (op instanceof PolicyOp.Upsert u) {
                    policy.update(key(u.key()), EndpointMaps.policyValue(
                            u.action() == io.kiln.agent.policy.PolicyAction.ALLOW ? EndpointMaps.ALLOW : EndpointMaps.DENY));
                } else {
                    policy.delete(key(op.key()));
                }
            }
        }
    }

    @Override
    public void applyNodeOps(List<NodeMapOp> ops) {
        for (NodeMapOp op : ops) {
            applyNodeOp(op);
        }
    }

    private void applyNodeOp(NodeMapOp op) {
        if (op instanceof NodeMapOp.IpcacheUpsert u) {
            withMap(u.cidr().isIpv4() ? "ipcache" : "ipcache6",
                    m -> m.update(EndpointMaps.lpmKey(cidr(u.cidr())), EndpointMaps.identityValue(u.identity())));
        } else if (op instanceof NodeMapOp.IpcacheDelete d) {
            withMap(d.cidr().isIpv4() ? "ipcache" : "ipcache6", m -> m.delete(EndpointMaps.lpmKey(cidr(d.cidr()))));
        } else if (op instanceof NodeMapOp.ServiceUpsert s) {
            withMap("services", m -> m.update(
                    EndpointMaps.serviceKey(Addresses.format(s.key().vip()), s.key().port(), s.key().protocol()),
                    EndpointMaps.serviceValue(s.value().backendCount(), s.value().serviceId())));
        } else if (op instanceof NodeMapOp.ServiceDelete s) {
            withMap("services", m -> m.delete(
                    EndpointMaps.serviceKey(Addresses.format(s.key().vip()), s.key().port(), s.key().protocol())));
        } else if (op instanceof NodeMapOp.BackendUpsert b) {
            withMap("backends", m -> m.update(EndpointMaps.backendKey(b.key().serviceId(), b.key().slot()),
                    EndpointMaps.backendValue(Addresses.format(b.value().address()), b.value().port())));
        } else if (op instanceof NodeMapOp.BackendDelete b) {
            withMap("backends", m -> m.delete(EndpointMaps.backendKey(b.key().serviceId(), b.key().slot())));
        } else if (op instanceof NodeMapOp.LocalEndpointUpsert l) {
            if (l.address() instanceof java.net.Inet6Address) {
                return; // the interim dataplane's endpoints are IPv4 only
            }
            Netns ns = l.value().namespace() == null ? Netns.host() : Netns.named(l.value().namespace());
            Link link = Link.of(l.value().namespace(), l.value().interfaceName());
            if (link == null) {
                throw new IllegalStateException("endpoint " + l.value().endpointId() + ": no interface "
                        + l.value().interfaceName() + " in " + ns);
            }
            String mac = l.value().mac() == null ? "00:00:00:00:00:00" : l.value().mac();
            withMap("endpoints", m -> m.update(EndpointMaps.endpointKey(Addresses.format(l.address())),
                    EndpointMaps.endpointInfo(link.ifindex(), mac, l.value().endpointId())));
        } else if (op instanceof NodeMapOp.LocalEndpointDelete l && !(l.address() instanceof java.net.Inet6Address)) {
            withMap("endpoints", m -> m.delete(EndpointMaps.endpointKey(Addresses.format(l.address()))));
        }
    }

    private static String cidr(io.kiln.agent.spec.Cidr c) {
        return Addresses.format(c.address()) + "/" + c.prefixLength();
    }

    private void withMap(String name, java.util.function.Consumer<BpfMap> write) {
        Path pin = dataplane.pins().nodeMap(name);
        if (!Files.exists(pin)) {
            throw new IllegalStateException("node map " + name + " is not pinned yet (" + pin + "): the first endpoint's"
                    + " load creates it");
        }
        try (BpfMap m = BpfMap.openPinned(pin)) {
            write.accept(m);
        }
    }

    @Override
    public void remove(int endpointId) {
        AttachedEndpoint a = attached.remove(endpointId);
        if (a != null) {
            dataplane.detach(a);
        } else {
            dataplane.detach(endpointId);
        }
        try {
            Files.deleteIfExists(fingerprints.resolve(endpointId + ".json"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public AdoptedState adoptExisting() {
        List<ActualEndpoint> found = new ArrayList<>();
        for (int id : dataplane.endpointIds()) {
            AttachedEndpoint a = dataplane.adopt(id);
            attached.put(id, a);
            found.add(new ActualEndpoint(id, readFingerprint(id), null, a.programIds(), a.variantKey().orElse(null)));
        }
        return new AdoptedState(found, null);
    }

    private void writeFingerprint(int id, PlanFingerprint f) {
        try {
            Files.createDirectories(fingerprints);
            Path tmp = fingerprints.resolve(id + ".json.tmp");
            JSON.writeValue(tmp.toFile(), f);
            Files.move(tmp, fingerprints.resolve(id + ".json"), java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private PlanFingerprint readFingerprint(int id) {
        Path f = fingerprints.resolve(id + ".json");
        try {
            return Files.exists(f) ? JSON.readValue(f.toFile(), PlanFingerprint.class) : null;
        } catch (IOException e) {
            return null; // unknown: the reconciler reloads the endpoint once
        }
    }

    /** An interface as a namespace shows it (the host's: {@code ns} null). */
    private record Link(int ifindex, String mac) {
        private static final java.util.regex.Pattern MAC = java.util.regex.Pattern.compile("link/ether ([0-9a-f:]{17})");

        static Link of(String namespace, String name) {
            List<String> command = new ArrayList<>(List.of("ip"));
            if (namespace != null) {
                command.addAll(List.of("-n", namespace));
            }
            command.addAll(List.of("-o", "link", "show", "dev", name));
            io.kiln.testing.Command.Result r = io.kiln.testing.Command.run(command);
            if (r.exitCode() != 0) {
                return null;
            }
            String out = r.stdout().strip();
            java.util.regex.Matcher m = MAC.matcher(out);
            return new Link(Integer.parseInt(out.substring(0, out.indexOf(':'))), m.find() ? m.group(1) : "00:00:00:00:00:00");
        }
    }
}
