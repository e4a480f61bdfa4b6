package io.kiln.agent.k8s;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.kiln.agent.source.SourceListener;
import io.kiln.agent.source.SourceSnapshot;
import io.kiln.agent.spec.EndpointSpec;
import io.kiln.agent.spec.PolicySpec;
import io.kiln.agent.spec.ServiceSpec;
import io.kiln.agent.spec.Spec;
import io.kiln.agent.spec.SpecError;
import io.kiln.agent.spec.SpecException;
import io.kiln.agent.spec.SpecKind;
import io.kiln.agent.spec.SpecReader;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Endpoints, policies and services from Kubernetes, for a node of a cluster: the Pods on this
 * node ({@link PodMapping}, under the operator's {@link PodProfiles}), and every {@code KilnPolicy}
 * and {@code KilnService} ({@code kiln.io/v1alpha1}, namespaced; CRDs in {@code deploy/}). A
 * Kubernetes policy is named {@code NAMESPACE/NAME} and selects only endpoints of its namespace.
 *
 * <p>Informers keep a local copy of each list. A change reads only the object that changed and
 * sends a whole snapshot from what was read before, unless the change made no difference. An
 * object that cannot be read is an error of that object, and its last good version, if any, stays
 * in effect. A Pod annotation the agent refuses is an error of that endpoint (it runs with its
 * namespace's default profile) and a Kubernetes Warning event on the Pod.
 */
public final class KubernetesSource implements AutoCloseable {
    public static final String NAME = "kubernetes";
    public static final String GROUP = "kiln.io";
    public static final String VERSION = "v1alpha1";
    public static final ResourceDefinitionContext KILN_POLICY = crd("KilnPolicy", "kilnpolicies");
    public static final ResourceDefinitionContext KILN_SERVICE = crd("KilnService", "kilnservices");
    public static final Duration DEFAULT_START_TIMEOUT = Duration.ofMinutes(2);
    /** The reason of the events this source writes on Pods. */
    public static final String REFUSED_REASON = "KilnAnnotationRefused";

    private final KubernetesClient client;
    private final String nodeName;
    private final SourceListener listener;
    private final Duration startTimeout;
    private final boolean nodeFieldSelector;
    private final PodProfiles profiles;
    private final List<SharedIndexInformer<?>> informers = new ArrayList<>();
    private SharedIndexInformer<Pod> pods;
    private SharedIndexInformer<GenericKubernetesResource> policies;
    private SharedIndexInformer<GenericKubernetesResource> services;
    private boolean synced;
    /** What each object gave when last read, by {@code pod/NS/NAME}, {@code policy/NS/NAME}, {@code service/NS/NAME}. */
    private final Map<String, Entry> entries = new TreeMap<>();
    /** Endpoint ids held by Pods, by Pod key; and the ids taken. */
    private final Map<String, Integer> podIds = new HashMap<>();
    private final Map<Integer, String> idOwners = new HashMap<>();
    /** Refusals already reported as events, by Pod key (so an unchanged Pod is not reported again). */
    private final Map<String, Set<String>> reported = new HashMap<>();
    private final AtomicLong objectReads = new AtomicLong();
    /** Why the last event could not be written, shown in status until one is written; null when fine. */
    private SpecError eventError;

    /** The spec an object gives (or its last good one), and its errors. */
    private record Entry(Spec spec, List<SpecError> errors) {
    }

    /**
     * @param nodeName          this node's name, as Pods' {@code spec.nodeName} gives it
     * @param profiles          the operator's profiles: which namespaces, templates, build parameters
     * @param startTimeout      how long {@link #start} waits for the first lists
     * @param nodeFieldSelector ask the API server for this node's Pods only ({@code spec.nodeName}); true in
     *                          a cluster, false against a server that cannot select on that field (fabric8's
     *                          mock): the Pods are then filtered here, as they always are anyway
     */
    public KubernetesSource(KubernetesClient client, String nodeName, SourceListener listener, PodProfiles profiles,
                            Duration startTimeout, boolean nodeFieldSelector) {
        this.client = Objects.requireNonNull(client, "client");
        this.nodeName = Objects.requireNonNull(nodeName, "nodeName");
        this.listener = Objects.requireNonNull(listener, "listener");
        this.profiles = Objects.requireNonNull(profiles, "profiles");
        this.startTimeout = startTimeout;
        this.nodeFieldSelector = nodeFieldSelector;
    }

    public KubernetesSource(KubernetesClient client, String nodeName, SourceListener listener, Duration startTimeout,
                            boolean nodeFieldSelector) {
        this(client, nodeName, listener, PodProfiles.defaults(), startTimeout, nodeFieldSelector);
    }

    public KubernetesSource(KubernetesClient client, String nodeName, SourceListener listener) {
        this(client, nodeName, listener, PodProfiles.defaults(), DEFAULT_START_TIMEOUT, true);
    }

    private static ResourceDefinitionContext crd(String kind, String plural) {
        return new ResourceDefinitionContext.Builder().withGroup(GROUP).withVersion(VERSION).withKind(kind)
                .withPlural(plural).withNamespaced(true).build();
    }

    private <T extends HasMetadata> ResourceEventHandler<T> handler(BiConsumer<T, Boolean> onChange) {
        return new ResourceEventHandler<>() {
            @Override
            public void onAdd(T obj) {
                onChange.accept(obj, false);
            }

            @Override
            public void onUpdate(T oldObj, T newObj) {
                onChange.accept(newObj, false);
            }

            @Override
            public void onDelete(T obj, boolean deletedFinalStateUnknown) {
                onChange.accept(obj, true);
            }
        };
    }

    /**
     * Starts watching and waits until the first lists are in, then sends the first snapshot.
     *
     * @throws KubernetesSourceException when the lists do not come within the start timeout
     */
    public void start() {
        // the field selector saves the API server sending every Pod of the cluster; the mapping checks the node again
        pods = nodeFieldSelector
                ? client.pods().inAnyNamespace().withField("spec.nodeName", nodeName).runnableInformer(0)
                : client.pods().inAnyNamespace().runnableInformer(0);
        policies = client.genericKubernetesResources(KILN_POLICY).inAnyNamespace().runnableInformer(0);
        services = client.genericKubernetesResources(KILN_SERVICE).inAnyNamespace().runnableInformer(0);
        pods.addEventHandler(handler((p, deleted) -> changed(key("pod", p), () -> readPod(p, deleted))));
        policies.addEventHandler(handler((r, deleted) -> changed(key("policy", r), () -> readPolicy(r, deleted))));
        services.addEventHandler(handler((r, deleted) -> changed(key("service", r), () -> readService(r, deleted))));
        informers.addAll(List.of(pods, policies, services));
        long deadline = System.nanoTime() + startTimeout.toNanos();
        try {
            for (SharedIndexInformer<?> i : informers) {
                i.start().toCompletableFuture().get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            }
        } catch (ExecutionException e) {
            close();
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new KubernetesSourceException("Kubernetes: cannot watch Pods, KilnPolicies and KilnServices: " + cause
                    .getMessage() + " (are the CRDs from deploy/ installed, and may the agent's service account list them?)",
                    cause);
        } catch (TimeoutException e) {
            close();
            throw new KubernetesSourceException("Kubernetes: no answer from the API server within " + startTimeout, e);
        } catch (InterruptedException e) {
            close();
            Thread.currentThread().interrupt();
            throw new KubernetesSourceException("Kubernetes: interrupted while starting", e);
        }
        List<Event> events = new ArrayList<>();
        SourceSnapshot first;
        synchronized (this) {
            // the oldest Pods first, so each keeps the id a restarted agent gives it again
            List<Pod> all = new ArrayList<>(pods.getStore().list());
            all.sort(Comparator.comparing((Pod p) -> String.valueOf(p.getMetadata().getCreationTimestamp()))
                    .thenComparing(PodMapping::source));
            for (Pod p : all) {
                events.addAll(readPod(p, false));
            }
            policies.getStore().list().forEach(r -> readPolicy(r, false));
            services.getStore().list().forEach(r -> readService(r, false));
            synced = true;
            first = snapshot();
        }
        post(events);
        listener.onSnapshot(first);
    }

    /** How many objects were read (mapped or parsed) since the start: what a change costs. */
    public long objectReads() {
        return objectReads.get();
    }

    /** The endpoint id the Pod {@code NAMESPACE/NAME} holds, if any. */
    public synchronized Optional<Integer> endpointId(String namespace, String name) {
        return Optional.ofNullable(podIds.get(namespace + "/" + name));
    }

    private interface Change {
        /** Updates {@link #entries}; returns the events to write. */
        List<Event> apply();
    }

    private static String key(String kind, HasMetadata o) {
        return kind + "/" + o.getMetadata().getNamespace() + "/" + o.getMetadata().getName();
    }

    /** Reads the one object that changed; sends a snapshot only when what it gives changed. */
    private void changed(String key, Change change) {
        SourceSnapshot s;
        List<Event> events;
        synchronized (this) {
            if (!synced) {
                return; // start() reads every object once the lists are in
            }
            Entry before = entries.get(key);
            events = change.apply();
            s = Objects.equals(before, entries.get(key)) ? null : snapshot();
        }
        post(events);
        if (s != null) {
            listener.onSnapshot(s);
        }
    }

    private SourceSnapshot snapshot() {
        List<EndpointSpec> endpoints = new ArrayList<>();
        List<PolicySpec> policySpecs = new ArrayList<>();
        List<ServiceSpec> serviceSpecs = new ArrayList<>();
        List<SpecError> errors = new ArrayList<>();
        for (Entry e : entries.values()) {
            if (e.spec() instanceof EndpointSpec x) {
                endpoints.add(x);
            } else if (e.spec() instanceof PolicySpec x) {
                policySpecs.add(x);
            } else if (e.spec() instanceof ServiceSpec x) {
                serviceSpecs.add(x);
            }
            errors.addAll(e.errors());
        }
        if (eventError != null) {
            errors.add(eventError);
        }
        return new SourceSnapshot(NAME, endpoints, policySpecs, serviceSpecs, errors);
    }

    private List<Event> readPod(Pod p, boolean deleted) {
        objectReads.incrementAndGet();
        String podKey = p.getMetadata().getNamespace() + "/" + p.getMetadata().getName();
        String key = key("pod", p);
        if (deleted || !PodMapping.isEndpoint(p, nodeName, profiles)) {
            entries.remove(key);
            Integer id = podIds.remove(podKey);
            if (id != null) {
                idOwners.remove(id);
            }
            reported.remove(podKey);
            return List.of();
        }
        int id = podIds.computeIfAbsent(podKey, k -> allocate(p));
        idOwners.put(id, podKey);
        String idKey = Integer.toString(id);
        Entry previous = entries.get(key);
        try {
            PodMapping.Mapped m = PodMapping.endpoint(p, profiles, id);
            List<SpecError> errors = new ArrayList<>();
            List<Event> events = new ArrayList<>();
            Set<String> seen = new HashSet<>();
            Set<String> already = reported.getOrDefault(podKey, Set.of());
            for (PodMapping.Refusal r : m.refusals()) {
                String message = PodMapping.source(p) + ": " + r.field() + ": refused: " + r.reason()
                        + "; the Pod runs with profile '" + m.profile() + "'";
                errors.add(new SpecError(SpecKind.ENDPOINT, idKey, PodMapping.source(p), 0, r.field(), message, false));
                String value = p.getMetadata().getAnnotations().get(r.annotation());
                String once = r.annotation() + "=" + value;
                seen.add(once);
                if (!already.contains(once)) {
                    events.add(refusedEvent(p, r.annotation() + ": refused: " + r.reason() + "; running with profile '"
                            + m.profile() + "'"));
                }
            }
            reported.put(podKey, seen);
            entries.put(key, new Entry(m.spec(), errors));
            return events;
        } catch (SpecException e) {
            Spec kept = previous == null ? null : previous.spec();
            entries.put(key, new Entry(kept, List.of(SpecError.of(SpecKind.ENDPOINT, idKey, e)
                    .withPreviousKept(kept != null))));
            return List.of();
        }
    }

    /** The Pod's preferred id, or the next free one after it. */
    private int allocate(Pod p) {
        int id = PodMapping.preferredId(p.getMetadata().getNamespace(), p.getMetadata().getName());
        for (int i = 0; i < EndpointSpec.MAX_ID; i++) {
            if (!idOwners.containsKey(id)) {
                return id;
            }
            id = id % EndpointSpec.MAX_ID + 1;
        }
        throw new IllegalStateException("all " + EndpointSpec.MAX_ID + " endpoint ids are taken");
    }

    private List<Event> readPolicy(GenericKubernetesResource r, boolean deleted) {
        String name = r.getMetadata().getNamespace() + "/" + r.getMetadata().getName();
        read("policy/" + name, SpecKind.POLICY, name, deleted, () -> SpecReader.kubernetesPolicy("KilnPolicy " + name,
                spec(r), name, r.getMetadata().getNamespace()));
        return List.of();
    }

    private List<Event> readService(GenericKubernetesResource r, boolean deleted) {
        String name = r.getMetadata().getNamespace() + "/" + r.getMetadata().getName();
        read("service/" + name, SpecKind.SERVICE, name, deleted, () -> SpecReader.kubernetesService(
                "KilnService " + name, spec(r), name));
        return List.of();
    }

    /** The object's spec, or its last good one when it cannot be read now (and then an error). */
    private void read(String objectKey, SpecKind kind, String specKey, boolean deleted, Supplier<Spec> reader) {
        objectReads.incrementAndGet();
        if (deleted) {
            entries.remove(objectKey);
            return;
        }
        try {
            entries.put(objectKey, new Entry(reader.get(), List.of()));
        } catch (SpecException e) {
            Entry previous = entries.get(objectKey);
            Spec kept = previous == null ? null : previous.spec();
            entries.put(objectKey, new Entry(kept, List.of(SpecError.of(kind, specKey, e).withPreviousKept(kept != null))));
        }
    }

    private Event refusedEvent(Pod p, String message) {
        String ns = p.getMetadata().getNamespace();
        String name = p.getMetadata().getName();
        String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        // a name from Pod and message: the same refusal reported again (a restarted agent) is one event
        String eventName = name.substring(0, Math.min(name.length(), 200)) + ".kiln-" + PodProfiles.sha1Hex(p.getMetadata().getUid() + "|" + message)
                .substring(0, 10);
        return new EventBuilder().withNewMetadata().withName(eventName).withNamespace(ns).endMetadata()
                .withNewInvolvedObject().withApiVersion("v1").withKind("Pod").withNamespace(ns).withName(name)
                .withUid(p.getMetadata().getUid()).endInvolvedObject()
                .withType("Warning").withReason(REFUSED_REASON).withMessage(message)
                .withNewSource().withComponent("kiln-agent").withHost(nodeName).endSource()
                .withReportingComponent("kiln-agent").withReportingInstance(nodeName)
                .withFirstTimestamp(now).withLastTimestamp(now).withCount(1).build();
    }

    /**
     * Writes events outside the lock. One that cannot be written becomes an error in status (the
     * refusal itself is there anyway) until an event is written again.
     */
    private void post(List<Event> events) {
        for (Event e : events) {
            SpecError failure = null;
            try {
                client.v1().events().inNamespace(e.getMetadata().getNamespace()).resource(e).createOr(
                        NonDeletingOperation::update);
            } catch (KubernetesClientException ex) {
                String pod = "pod " + e.getInvolvedObject().getNamespace() + "/" + e.getInvolvedObject().getName();
                failure = new SpecError(null, null, pod, 0, "", pod + ": cannot write a Kubernetes event (may the"
                        + " agent's service account create events?): " + ex.getMessage(), false);
            }
            SourceSnapshot s = null;
            synchronized (this) {
                if (!Objects.equals(failure, eventError)) {
                    eventError = failure;
                    s = synced ? snapshot() : null;
                }
            }
            if (s != null) {
                listener.onSnapshot(s);
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> spec(GenericKubernetesResource r) {
        Object spec = r.getAdditionalProperties().get("spec");
        return spec instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }

    @Override
    public void close() {
        for (SharedIndexInformer<?> i : informers) {
            i.close();
        }
        informers.clear();
    }
}
