package io.kiln.agent.k8s;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Endpoints, policies and services from Kubernetes, for a node of a cluster: the Pods on this
 * node that ask to be endpoints ({@link PodMapping}), and every {@code KilnPolicy} and
 * {@code KilnService} ({@code kiln.io/v1alpha1}, namespaced; CRDs in {@code deploy/}). A
 * Kubernetes policy is named {@code NAMESPACE/NAME} and selects only endpoints of its namespace.
 *
 * <p>Informers keep a local copy of each list; every change sends a whole snapshot built from
 * those copies. An object that cannot be read is an error of that object, and its last good
 * version, if any, stays in effect.
 */
public final class KubernetesSource implements AutoCloseable {
    public static final String NAME = "kubernetes";
    public static final String GROUP = "kiln.io";
    public static final String VERSION = "v1alpha1";
    public static final ResourceDefinitionContext KILN_POLICY = crd("KilnPolicy", "kilnpolicies");
    public static final ResourceDefinitionContext KILN_SERVICE = crd("KilnService", "kilnservices");
    public static final Duration DEFAULT_START_TIMEOUT = Duration.ofMinutes(2);

    private final KubernetesClient client;
    private final String nodeName;
    private final SourceListener listener;
    private final Duration startTimeout;
    private final boolean nodeFieldSelector;
    private final Map<String, Spec> lastGood = new HashMap<>();
    private final List<SharedIndexInformer<?>> informers = new ArrayList<>();
    private SharedIndexInformer<Pod> pods;
    private SharedIndexInformer<GenericKubernetesResource> policies;
    private SharedIndexInformer<GenericKubernetesResource> services;
    private boolean synced;

    /**
     * @param nodeName          this node's name, as Pods' {@code spec.nodeName} gives it
     * @param startTimeout      how long {@link #start} waits for the first lists
     * @param nodeFieldSelector ask the API server for this node's Pods only ({@code spec.nodeName}); true in
     *                          a cluster, false against a server that cannot select on that field (fabric8's
     *                          mock): the Pods are then filtered here, as they always are anyway
     */
    public KubernetesSource(KubernetesClient client, String nodeName, SourceListener listener, Duration startTimeout,
                            boolean nodeFieldSelector) {
        this.client = Objects.requireNonNull(client, "client");
        this.nodeName = Objects.requireNonNull(nodeName, "nodeName");
        this.listener = Objects.requireNonNull(listener, "listener");
        this.startTimeout = startTimeout;
        this.nodeFieldSelector = nodeFieldSelector;
    }

    public KubernetesSource(KubernetesClient client, String nodeName, SourceListener listener) {
        this(client, nodeName, listener, DEFAULT_START_TIMEOUT, true);
    }

    private static ResourceDefinitionContext crd(String kind, String plural) {
        return new ResourceDefinitionContext.Builder().withGroup(GROUP).withVersion(VERSION).withKind(kind)
                .withPlural(plural).withNamespaced(true).build();
    }

    /**
     * Starts watching and waits until the first lists are in, then sends the first snapshot.
     *
     * @throws KubernetesSourceException when the lists do not come within the start timeout
     */
    public void start() {
        ResourceEventHandler<HasMetadata> onChange = new ResourceEventHandler<>() {
            @Override
            public void onAdd(HasMetadata obj) {
                changed();
            }

            @Override
            public void onUpdate(HasMetadata oldObj, HasMetadata newObj) {
                changed();
            }

            @Override
            public void onDelete(HasMetadata obj, boolean deletedFinalStateUnknown) {
                changed();
            }
        };
        // the field selector saves the API server sending every Pod of the cluster; the mapping checks the node again
        pods = nodeFieldSelector
                ? client.pods().inAnyNamespace().withField("spec.nodeName", nodeName).runnableInformer(0)
                : client.pods().inAnyNamespace().runnableInformer(0);
        policies = client.genericKubernetesResources(KILN_POLICY).inAnyNamespace().runnableInformer(0);
        services = client.genericKubernetesResources(KILN_SERVICE).inAnyNamespace().runnableInformer(0);
        pods.addEventHandler(onChange);
        policies.addEventHandler(onChange);
        services.addEventHandler(onChange);
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
        synchronized (this) {
            synced = true;
        }
        changed();
    }

    private synchronized void changed() {
        if (!synced) {
            return;
        }
        List<EndpointSpec> endpoints = new ArrayList<>();
        List<PolicySpec> policySpecs = new ArrayList<>();
        List<ServiceSpec> serviceSpecs = new ArrayList<>();
        List<SpecError> errors = new ArrayList<>();
        Map<String, Spec> good = new HashMap<>();
        for (Pod p : pods.getStore().list()) {
            String key = "pod/" + p.getMetadata().getNamespace() + "/" + p.getMetadata().getName();
            read(key, SpecKind.ENDPOINT, PodMapping.key(p), () -> PodMapping.endpoint(p, nodeName), good, errors)
                    .ifPresent(s -> endpoints.add((EndpointSpec) s));
        }
        for (GenericKubernetesResource r : policies.getStore().list()) {
            String name = r.getMetadata().getNamespace() + "/" + r.getMetadata().getName();
            read("policy/" + name, SpecKind.POLICY, name, () -> Optional.of(SpecReader.kubernetesPolicy(
                    "KilnPolicy " + name, spec(r), name, r.getMetadata().getNamespace())), good, errors)
                    .ifPresent(s -> policySpecs.add((PolicySpec) s));
        }
        for (GenericKubernetesResource r : services.getStore().list()) {
            String name = r.getMetadata().getNamespace() + "/" + r.getMetadata().getName();
            read("service/" + name, SpecKind.SERVICE, name, () -> Optional.of(SpecReader.kubernetesService(
                    "KilnService " + name, spec(r), name)), good, errors)
                    .ifPresent(s -> serviceSpecs.add((ServiceSpec) s));
        }
        lastGood.clear();
        lastGood.putAll(good);
        listener.onSnapshot(new SourceSnapshot(NAME, endpoints, policySpecs, serviceSpecs, errors));
    }

    private interface Reader {
        Optional<? extends Spec> read();
    }

    /** The object's spec, or its last good one when it cannot be read now (and then an error). */
    private Optional<Spec> read(String objectKey, SpecKind kind, String specKey, Reader reader, Map<String, Spec> good,
                                List<SpecError> errors) {
        try {
            Optional<? extends Spec> s = reader.read();
            s.ifPresent(spec -> good.put(objectKey, spec));
            return s.map(Spec.class::cast);
        } catch (SpecException e) {
            Spec previous = lastGood.get(objectKey);
            errors.add(SpecError.of(kind, specKey, e).withPreviousKept(previous != null));
            if (previous != null) {
                good.put(objectKey, previous);
            }
            return Optional.ofNullable(previous);
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
