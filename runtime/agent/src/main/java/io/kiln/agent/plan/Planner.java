package io.kiln.agent.plan;

import io.kiln.agent.identity.IdentityAllocator;
import io.kiln.agent.identity.IdentityAssignment;
import io.kiln.agent.identity.IdentityException;
import io.kiln.agent.policy.EndpointPolicy;
import io.kiln.agent.policy.IdentifiedEndpoint;
import io.kiln.agent.policy.NodeState;
import io.kiln.agent.policy.PolicyComputer;
import io.kiln.agent.spec.AddressLiterals;
import io.kiln.agent.spec.Cidr;
import io.kiln.agent.spec.DesiredState;
import io.kiln.agent.spec.EndpointSpec;
import io.kiln.agent.spec.EndpointValidator;
import io.kiln.agent.spec.FqdnSelector;
import io.kiln.agent.spec.PolicyRule;
import io.kiln.agent.spec.PolicySpec;
import io.kiln.agent.spec.ServiceSpec;
import io.kiln.agent.spec.SpecError;
import io.kiln.agent.spec.SpecException;
import io.kiln.agent.spec.SpecKind;
import io.kiln.agent.spec.TemplateCatalog;

import java.net.InetAddress;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Turns desired state into a {@link Plan}: checks each endpoint against its template, gives it an
 * identity, computes the ipcache, services and every policy map. An endpoint whose new spec fails
 * a check keeps its previous good spec, if it had one this run; either way the failure is an
 * error of that endpoint alone. Not for concurrent use: one thread plans (the agent's).
 */
public final class Planner {
    private final TemplateCatalog catalog;
    private final IdentityAllocator identities;
    private final List<Cidr> hostCidrs;
    private final Clock clock;
    /** An interface's ifindex in a namespace, when it exists: the same interface under two names is one. */
    private java.util.function.BiFunction<String, String, java.util.OptionalInt> ifindexes =
            (name, namespace) -> java.util.OptionalInt.empty();
    /** The last spec of each endpoint that passed every check. */
    private final Map<Integer, EndpointSpec> lastGood = new HashMap<>();
    /**
     * The ifindex each endpoint's interface had when a plan last looked it up, by endpoint: a plan asks
     * the kernel again only for an endpoint whose interface (name or namespace) is new to it, whose
     * interface did not exist then, or that an ifindex clash involves. Looking up every endpoint's
     * interface in every plan cost a namespace entry per endpoint on each policy change.
     */
    private Map<Integer, Resolved> resolved = new HashMap<>();
    private Map<Integer, Resolved> resolving = new HashMap<>();
    /** This plan's claims by ifindex: whose spec, and which came from {@link #resolved} rather than the kernel. */
    private final Map<Integer, EndpointSpec> claimed = new HashMap<>();
    private final java.util.Set<Integer> fromMemory = new java.util.HashSet<>();

    private record Resolved(String attachment, int ifindex) {
    }

    /**
     * What the last full plan was made from and gave, for {@link #policiesOnly}: its desired state,
     * the plan, the errors the planner added to the sources' own, the endpoint errors the sources
     * sent, and the CIDR identities the policies saw.
     */
    private record Last(DesiredState desired, Plan plan, List<SpecError> plannerErrors,
                        List<SpecError> endpointSourceErrors, Map<Cidr, Integer> cidrIdentities,
                        LearnedClasses classes, SortedSet<Cidr> specCidrs, java.util.Set<Cidr> reserved) {
    }

    private Last last;
    private long policyOnlyPlans;
    private long learnedOnlyPlans;
    /** The names learned for one address (any endpoint's), for {@link #learnedChanged}; null: that path is off. */
    private java.util.function.Function<InetAddress, ? extends Collection<String>> learnedNames;
    /**
     * The addresses learned from DNS answers for {@code toFQDNs} selectors (io.kiln.agent.fqdn):
     * given the selectors of every policy, the addresses of each. Their host prefixes become CIDR
     * identities in the ipcache, and peers of the rules that name the selector.
     */
    private java.util.function.Function<Collection<FqdnSelector>, Map<FqdnSelector, ? extends Collection<InetAddress>>>
            learned = selectors -> Map.of();

    /**
     * @param hostCidrs the node's own addresses: they go into the ipcache as identity 1 (host)
     */
    public Planner(TemplateCatalog catalog, IdentityAllocator identities, List<Cidr> hostCidrs, Clock clock) {
        this.catalog = Objects.requireNonNull(catalog, "catalog");
        this.identities = Objects.requireNonNull(identities, "identities");
        this.hostCidrs = List.copyOf(hostCidrs);
        this.clock = clock;
    }

    public Planner(TemplateCatalog catalog, IdentityAllocator identities) {
        this(catalog, identities, List.of(), Clock.systemUTC());
    }

    /** Where the addresses learned for {@code toFQDNs} selectors come from (none by default). */
    public Planner learned(java.util.function.Function<Collection<FqdnSelector>,
            Map<FqdnSelector, ? extends Collection<InetAddress>>> source) {
        this.learned = Objects.requireNonNull(source, "source");
        return this;
    }

    /**
     * The names learned for an address (io.kiln.agent.fqdn), the same facts {@link #learned} gives by
     * selector: with it, {@link #learnedChanged} plans what some addresses' learning changed alone.
     */
    public Planner learnedNames(java.util.function.Function<InetAddress, ? extends Collection<String>> source) {
        this.learnedNames = Objects.requireNonNull(source, "source");
        return this;
    }

    private static SortedSet<FqdnSelector> universe(DesiredState d) {
        SortedSet<FqdnSelector> selectors = new TreeSet<>();
        d.policies().values().forEach(p -> selectors.addAll(PolicyComputer.fqdnSelectors(p)));
        return selectors;
    }

    private LearnedClasses classesFor(DesiredState d, SortedSet<Cidr> ruleCidrs) {
        SortedSet<FqdnSelector> selectors = universe(d);
        return selectors.isEmpty() ? LearnedClasses.none()
                : LearnedClasses.of(selectors, ruleCidrs, learned.apply(selectors), identities);
    }

    /** The host prefix of every learned address with its class identity. */
    private static Map<Cidr, Integer> learnedIpcache(LearnedClasses classes) {
        Map<Cidr, Integer> out = new HashMap<>();
        classes.addresses().forEach(a -> out.put(Cidr.host(a), classes.identityOf(a)));
        return out;
    }

    /** The ipcache keys a learned address never takes: the host's own and every endpoint's. */
    private java.util.Set<Cidr> reserved(NodeState node) {
        java.util.Set<Cidr> out = new java.util.HashSet<>(hostCidrs);
        node.localEndpoints().keySet().forEach(a -> out.add(Cidr.host(a)));
        return out;
    }

    /** Resolves interface names (name, namespace or null) to ifindexes for the uniqueness check. */
    public Planner interfaces(java.util.function.BiFunction<String, String, java.util.OptionalInt> ifindexes) {
        this.ifindexes = Objects.requireNonNull(ifindexes, "ifindexes");
        return this;
    }

    /**
     * @param sourceErrors errors the sources found reading specs (they pass through to the plan);
     *                     an endpoint error with a key holds that endpoint, one without makes the plan incomplete
     */
    public Plan plan(DesiredState desired, List<SpecError> sourceErrors) {
        Plan quick = policiesOnly(desired, sourceErrors);
        if (quick != null) {
            policyOnlyPlans++;
            return quick;
        }
        List<SpecError> errors = new ArrayList<>(sourceErrors);
        SortedSet<Cidr> ruleCidrs = ruleCidrs(desired);
        LearnedClasses classes = classesFor(desired, ruleCidrs);
        SortedSet<Integer> held = new TreeSet<>();
        boolean complete = true;
        for (SpecError e : sourceErrors) {
            if (e.kind() == SpecKind.ENDPOINT) {
                Integer id = parseId(e.key());
                if (id == null) {
                    complete = false;
                } else if (!desired.endpoints().containsKey(id)) {
                    held.add(id);
                }
            }
        }
        lastGood.keySet().retainAll(desired.endpoints().keySet());
        resolving = new HashMap<>();
        claimed.clear();
        fromMemory.clear();

        // 1. per endpoint: the newest spec that passes the template and uniqueness checks
        Map<Integer, EndpointValidator.Valid> chosen = new TreeMap<>();
        Map<Integer, SpecError> endpointErrors = new TreeMap<>();
        Map<String, Integer> interfaces = new HashMap<>();
        Map<InetAddress, Integer> addresses = new HashMap<>();
        for (EndpointSpec spec : runningFirst(desired.endpoints().values())) {
            EndpointValidator.Valid v = choose(spec, interfaces, addresses, endpointErrors);
            if (v != null) {
                chosen.put(spec.id(), v);
            }
        }

        // 2. identities, retrying a clashing endpoint with its previous spec
        identities.retain(chosen.values().stream().map(v -> v.spec().labels()).toList(), ruleCidrs,
                desired.services().keySet());
        identities.retainFqdn(classes.keys());
        IdentityAssignment.Result ids = IdentityAssignment.assign(identities, specs(chosen));
        if (!ids.errors().isEmpty()) {
            for (Map.Entry<Integer, SpecException> e : ids.errors().entrySet()) {
                EndpointSpec previous = lastGood.get(e.getKey());
                endpointErrors.putIfAbsent(e.getKey(), SpecError.of(SpecKind.ENDPOINT, e.getKey().toString(), e.getValue()));
                EndpointSpec clashing = chosen.remove(e.getKey()).spec();
                if (previous != null && !previous.sameAs(clashing)) {
                    try {
                        chosen.put(e.getKey(), EndpointValidator.validate(previous, catalog));
                    } catch (SpecException stillBad) {
                        // the catalog changed under it: no spec of this endpoint is usable now
                    }
                }
            }
            ids = IdentityAssignment.assign(identities, specs(chosen));
            ids.errors().keySet().forEach(chosen::remove);
        }
        for (Map.Entry<Integer, SpecError> e : endpointErrors.entrySet()) {
            boolean kept = chosen.containsKey(e.getKey());
            errors.add(e.getValue().withPreviousKept(kept));
            if (!kept) {
                held.add(e.getKey());
            }
        }
        chosen.forEach((id, v) -> lastGood.put(id, v.spec()));

        // 3. services and the node maps
        Map<String, Integer> serviceIds = new LinkedHashMap<>();
        List<ServiceSpec> services = new ArrayList<>();
        Map<String, String> serviceKeys = new HashMap<>();
        for (ServiceSpec s : desired.services().values()) {
            String key = AddressLiterals.format(s.vip()) + "/" + s.port() + "/" + s.protocol();
            String other = serviceKeys.putIfAbsent(key, s.name());
            if (other != null) {
                errors.add(SpecError.of(SpecKind.SERVICE, s.name(), s.origin().error("vip", "service " + other
                        + " already has " + AddressLiterals.format(s.vip()) + " port " + s.port() + " " + s.protocol())));
                continue;
            }
            services.add(s);
            serviceIds.put(s.name(), identities.serviceId(s.name()));
        }
        SortedMap<Integer, Integer> identityOf = ids.identities();
        Map<Cidr, Integer> cidrIdentities = new TreeMap<>();
        for (Cidr c : ruleCidrs) {
            cidrIdentities.put(c, identities.cidrIdentity(c));
        }
        NodeStateComputer.Result node = NodeStateComputer.compute(specs(chosen), identityOf, cidrIdentities,
                learnedIpcache(classes), hostCidrs, services, serviceIds);

        // 4. policy maps
        List<IdentifiedEndpoint> identified = new ArrayList<>();
        chosen.forEach((id, v) -> identified.add(new IdentifiedEndpoint(id, v.spec().labels(), identityOf.get(id))));
        SortedMap<Integer, EndpointPolicy> policies = PolicyComputer.compute(identified, desired.policies().values(),
                node.cidrIdentities(), classes.peers());

        SortedMap<Integer, EndpointPlan> plans = new TreeMap<>();
        for (Map.Entry<Integer, EndpointValidator.Valid> c : chosen.entrySet()) {
            int id = c.getKey();
            try {
                plans.put(id, PlanBuilder.plan(c.getValue(), identityOf.get(id), policies.get(id)));
            } catch (SpecException e) {
                errors.add(SpecError.of(SpecKind.ENDPOINT, Integer.toString(id), e));
                held.add(id);
            }
        }
        try {
            identities.save();
        } catch (IdentityException e) {
            errors.add(new SpecError(null, null, identities.file().map(Object::toString).orElse("identities"), 0, "",
                    e.getMessage(), false));
        }
        resolving.keySet().retainAll(plans.keySet());
        resolved = resolving;
        Plan plan = new Plan(plans, node.state(), errors, held, complete, clock.instant());
        last = new Last(desired, plan, List.copyOf(errors.subList(sourceErrors.size(), errors.size())),
                endpointErrors(sourceErrors), node.cidrIdentities(), classes, ruleCidrs, reserved(node.state()));
        return plan;
    }

    /** How many plans since this planner was made took the policy-only path ({@link #policiesOnly}); for tests. */
    public long policyOnlyPlans() {
        return policyOnlyPlans;
    }

    /**
     * The plan when only policies changed since the last full plan (same endpoint and service specs,
     * the same CIDRs in the rules, the same endpoint errors from the sources), else null: the last
     * plan with the maps of the endpoints a changed policy selects (before or after the change)
     * computed again, and nothing else redone. Identities, the node maps and every other endpoint's
     * plan are what they were (a policy's peers are identities the endpoints already have), so a rule
     * change costs the policies of the endpoints it is about, not a plan of the whole node: no
     * endpoint validated again, no interface looked up, no identity file written.
     */
    private Plan policiesOnly(DesiredState desired, List<SpecError> sourceErrors) {
        Last l = last;
        if (l == null || !l.desired().endpoints().equals(desired.endpoints())
                || !l.desired().services().equals(desired.services())
                || !l.endpointSourceErrors().equals(endpointErrors(sourceErrors))) {
            return null;
        }
        if (!l.specCidrs().equals(ruleCidrs(desired))) {
            return null;
        }
        // what DNS answers taught is computed again (a policy change may add or drop selectors); the
        // ipcache follows the learned addresses' classes, and a change of the classes' peers (a class
        // new or gone) recomputes every endpoint's policy
        LearnedClasses classes = classesFor(desired, l.specCidrs());
        Map<Cidr, Integer> cidrIdentities = l.cidrIdentities();
        NodeState node = l.plan().node();
        SortedMap<Cidr, Integer> ipcache = new TreeMap<>(node.ipcache());
        boolean ipcacheChanged = false;
        for (InetAddress a : l.classes().addresses()) {
            if (classes.identityOf(a) == null) {
                ipcacheChanged |= unlearn(ipcache, a, l);
            }
        }
        for (InetAddress a : classes.addresses()) {
            Cidr key = Cidr.host(a);
            if (!l.reserved().contains(key)) {
                ipcacheChanged |= !Objects.equals(ipcache.put(key, classes.identityOf(a)), classes.identityOf(a));
            }
        }
        if (ipcacheChanged) {
            node = new NodeState(ipcache, node.services(), node.backends(), node.localEndpoints());
        }
        boolean peersChanged = !l.classes().peers().equals(classes.peers());
        Map<String, PolicySpec> before = l.desired().policies();
        Map<String, PolicySpec> after = desired.policies();
        List<PolicySpec> changed = new ArrayList<>();
        for (String name : new TreeSet<>(Stream.concat(before.keySet().stream(), after.keySet().stream()).toList())) {
            PolicySpec b = before.get(name);
            PolicySpec a = after.get(name);
            if (!Objects.equals(a, b)) {
                if (b != null) {
                    changed.add(b);
                }
                if (a != null) {
                    changed.add(a);
                }
            }
        }
        SortedMap<Integer, EndpointPlan> plans = new TreeMap<>(l.plan().endpoints());
        List<IdentifiedEndpoint> all = new ArrayList<>();
        List<IdentifiedEndpoint> affected = new ArrayList<>();
        for (EndpointPlan p : plans.values()) {
            IdentifiedEndpoint e = new IdentifiedEndpoint(p.id(), p.labels(), p.identity());
            all.add(e);
            if (peersChanged || changed.stream().anyMatch(c -> PolicyComputer.selects(c, p.labels()))) {
                affected.add(e);
            }
        }
        PolicyComputer.computeFor(affected, all, after.values(), cidrIdentities, classes.peers())
                .forEach((id, policy) -> plans.put(id, plans.get(id).withPolicy(policy)));
        List<SpecError> errors = new ArrayList<>(sourceErrors);
        errors.addAll(l.plannerErrors());
        Plan plan = new Plan(plans, node, errors, l.plan().held(), l.plan().complete(), clock.instant());
        last = new Last(desired, plan, l.plannerErrors(), l.endpointSourceErrors(), cidrIdentities, classes,
                l.specCidrs(), l.reserved());
        return plan;
    }

    /** Takes a learned address's host prefix out of the ipcache (back to a rule's own prefix there); true if it changed. */
    private static boolean unlearn(SortedMap<Cidr, Integer> ipcache, InetAddress a, Last l) {
        Cidr key = Cidr.host(a);
        if (l.reserved().contains(key)) {
            return false;
        }
        Integer rule = l.cidrIdentities().get(key);
        return !Objects.equals(rule == null ? ipcache.remove(key) : ipcache.put(key, rule), rule);
    }

    /**
     * The plan after what DNS answers taught about {@code touched} changed (addresses learned or
     * expired), with nothing else changed since the last plan; null when this planner cannot tell
     * (no plan yet, or no {@link #learnedNames} source): then {@link #plan} does it. An address of
     * a class that exists is one ipcache entry and the endpoints' plans are the last ones; a new
     * class recomputes the policies (its identity is a new peer). Costs the touched addresses and
     * copies of the ipcache, not a computation over every learned name.
     */
    public Plan learnedChanged(Collection<InetAddress> touched) {
        Last l = last;
        if (l == null || learnedNames == null || l.classes().universe().isEmpty()) {
            return null;
        }
        boolean newClass = false;
        SortedMap<Cidr, Integer> ipcache = null;
        for (InetAddress a : touched) {
            Integer before = l.classes().identityOf(a);
            newClass |= l.classes().update(a, learnedNames.apply(a), identities);
            Integer after = l.classes().identityOf(a);
            Cidr key = Cidr.host(a);
            if (Objects.equals(before, after) || l.reserved().contains(key)) {
                continue;
            }
            if (ipcache == null) {
                ipcache = new TreeMap<>(l.plan().node().ipcache());
            }
            if (after != null) {
                ipcache.put(key, after);
            } else {
                unlearn(ipcache, a, l);
            }
        }
        learnedOnlyPlans++;
        if (ipcache == null && !newClass) {
            return l.plan();
        }
        NodeState was = l.plan().node();
        NodeState node = ipcache == null ? was : new NodeState(ipcache, was.services(), was.backends(), was.localEndpoints());
        SortedMap<Integer, EndpointPlan> plans = l.plan().endpoints();
        if (newClass) {
            try {
                identities.save(); // a restarted agent gives the class the identity the maps it adopts hold
            } catch (IdentityException e) {
                // written with the next full plan, which reports it
            }
            plans = new TreeMap<>(plans);
            List<IdentifiedEndpoint> all = new ArrayList<>();
            plans.values().forEach(p -> all.add(new IdentifiedEndpoint(p.id(), p.labels(), p.identity())));
            SortedMap<Integer, EndpointPlan> target = plans;
            PolicyComputer.computeFor(all, all, l.desired().policies().values(), l.cidrIdentities(),
                    l.classes().peers()).forEach((id, policy) -> target.put(id, target.get(id).withPolicy(policy)));
        }
        Plan plan = new Plan(plans, node, l.plan().errors(), l.plan().held(), l.plan().complete(), clock.instant());
        last = new Last(l.desired(), plan, l.plannerErrors(), l.endpointSourceErrors(), l.cidrIdentities(),
                l.classes(), l.specCidrs(), l.reserved());
        return plan;
    }

    /** How many plans took {@link #learnedChanged}'s path; for tests. */
    public long learnedOnlyPlans() {
        return learnedOnlyPlans;
    }

    private static List<SpecError> endpointErrors(List<SpecError> sourceErrors) {
        return sourceErrors.stream().filter(e -> e.kind() == SpecKind.ENDPOINT).toList();
    }

    private EndpointValidator.Valid choose(EndpointSpec spec, Map<String, Integer> interfaces,
                                           Map<InetAddress, Integer> addresses, Map<Integer, SpecError> errors) {
        EndpointSpec previous = lastGood.get(spec.id());
        for (EndpointSpec candidate : previous == null || previous.sameAs(spec) ? List.of(spec) : List.of(spec, previous)) {
            try {
                EndpointValidator.Valid v = EndpointValidator.validate(candidate, catalog);
                claimUnique(candidate, interfaces, addresses);
                return v;
            } catch (SpecException e) {
                errors.putIfAbsent(spec.id(), SpecError.of(SpecKind.ENDPOINT, Integer.toString(spec.id()), e));
            }
        }
        return null;
    }

    /** Two endpoints may not share an interface or an address; the one that came first keeps it. */
    private void claimUnique(EndpointSpec s, Map<String, Integer> interfaces, Map<InetAddress, Integer> addresses) {
        String where = s.namespace() == null ? "" : "@" + s.namespace();
        String attachment = s.interfaceName() + where;
        // by name, and by ifindex when the interface exists: an altname is another name for the same hook
        Resolved known = resolved.get(s.id());
        boolean fresh = known == null || !known.attachment().equals(attachment);
        java.util.OptionalInt ifindex = fresh ? ifindexes.apply(s.interfaceName(), s.namespace())
                : java.util.OptionalInt.of(known.ifindex());
        String byIndex = ifindex.isPresent() ? "#" + ifindex.getAsInt() + where : null;
        Integer clash = byIndex == null ? null : interfaces.get(byIndex);
        if (clash != null && clash != s.id()) {
            // an interface may have been replaced since it was looked up: ask again before refusing
            if (!fresh) {
                ifindex = ifindexes.apply(s.interfaceName(), s.namespace());
                byIndex = ifindex.isPresent() ? "#" + ifindex.getAsInt() + where : null;
            } else if (fromMemory.contains(clash)) {
                refresh(clash, interfaces);
            }
        }
        for (String key : byIndex == null ? List.of(attachment) : List.of(attachment, byIndex)) {
            Integer other = interfaces.get(key);
            if (other != null && other != s.id()) {
                throw s.origin().error("interface", "endpoint " + other + " already uses interface " + s.interfaceName()
                        + (key.equals(byIndex) ? " (ifindex " + ifindex.getAsInt() + ", under another name)" : ""));
            }
        }
        for (InetAddress a : s.addresses().all()) {
            Integer o = addresses.get(a);
            if (o != null && o != s.id()) {
                String field = a.getAddress().length == 4 ? "addresses.ipv4" : "addresses.ipv6";
                throw s.origin().error(field, "endpoint " + o + " already has address " + AddressLiterals.format(a));
            }
        }
        interfaces.put(attachment, s.id());
        if (byIndex != null) {
            interfaces.put(byIndex, s.id());
            resolving.put(s.id(), new Resolved(attachment, ifindex.getAsInt()));
            claimed.put(s.id(), s);
            if (fresh || ifindex.getAsInt() != known.ifindex()) {
                fromMemory.remove(s.id());
            } else {
                fromMemory.add(s.id());
            }
        }
        s.addresses().all().forEach(a -> addresses.put(a, s.id()));
    }

    /** Looks endpoint {@code id}'s remembered ifindex up again and moves its claim if the interface changed. */
    private void refresh(int id, Map<String, Integer> interfaces) {
        EndpointSpec other = claimed.get(id);
        Resolved was = resolving.get(id);
        String where = other.namespace() == null ? "" : "@" + other.namespace();
        java.util.OptionalInt now = ifindexes.apply(other.interfaceName(), other.namespace());
        fromMemory.remove(id);
        if (now.isPresent() && now.getAsInt() == was.ifindex()) {
            return;
        }
        interfaces.remove("#" + was.ifindex() + where, id);
        if (now.isPresent()) {
            interfaces.put("#" + now.getAsInt() + where, id);
            resolving.put(id, new Resolved(was.attachment(), now.getAsInt()));
        } else {
            resolving.remove(id);
        }
    }

    /** Endpoints that ran a good spec before are checked first, so a newcomer cannot take their interface or address. */
    private List<EndpointSpec> runningFirst(Collection<EndpointSpec> specs) {
        return Stream.concat(specs.stream().filter(s -> lastGood.containsKey(s.id())),
                specs.stream().filter(s -> !lastGood.containsKey(s.id()))).toList();
    }

    private static List<EndpointSpec> specs(Map<Integer, EndpointValidator.Valid> chosen) {
        return chosen.values().stream().map(EndpointValidator.Valid::spec).toList();
    }

    private static SortedSet<Cidr> ruleCidrs(DesiredState d) {
        SortedSet<Cidr> out = new TreeSet<>();
        for (PolicySpec p : d.policies().values()) {
            Stream.of(p.ingress(), p.egress(), p.ingressDeny(), p.egressDeny()).filter(Objects::nonNull)
                    .flatMap(List::stream).map(PolicyRule::cidrs).forEach(out::addAll);
        }
        return out;
    }

    private static Integer parseId(String key) {
        if (key == null || !key.matches("[1-9][0-9]{0,4}")) {
            return null;
        }
        int id = Integer.parseInt(key);
        return id <= EndpointSpec.MAX_ID ? id : null;
    }
}
