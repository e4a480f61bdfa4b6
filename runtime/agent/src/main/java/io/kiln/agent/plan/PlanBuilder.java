package io.kiln.agent.plan;

import io.kiln.agent.policy.EndpointPolicy;
import io.kiln.agent.spec.AddressLiterals;
import io.kiln.agent.spec.EndpointSpec;
import io.kiln.agent.spec.EndpointValidator;
import io.kiln.template.Constants;
import io.kiln.template.ParameterException;
import io.kiln.template.TemplateDescriptor;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/** An endpoint's plan: its spec's constants plus those derived from its fields that the template declares. */
final class PlanBuilder {
    private PlanBuilder() {
    }

    static EndpointPlan plan(EndpointValidator.Valid v, int identity, EndpointPolicy policy) {
        EndpointSpec s = v.spec();
        TemplateDescriptor t = v.template();
        SortedMap<String, Object> constants = new TreeMap<>(s.constants());
        Map<String, Object> derived = new TreeMap<>();
        derived.put("ENDPOINT_ID", (long) s.id());
        derived.put("IDENTITY", (long) identity);
        derived.put("ENDPOINT_IPV4", AddressLiterals.format(s.addresses().ipv4()));
        if (s.addresses().ipv6() != null) {
            derived.put("ENDPOINT_IPV6", AddressLiterals.format(s.addresses().ipv6()));
        }
        if (s.mac() != null) {
            derived.put("ENDPOINT_MAC", s.mac());
        }
        derived.forEach((name, value) -> {
            if (t.constant(name).isPresent()) {
                constants.put(name, value);
            }
        });
        try {
            Constants.encodeAll(t, constants);
        } catch (ParameterException e) {
            String field = EndpointSpec.DERIVED_CONSTANTS.getOrDefault(e.parameter(), "constants." + e.parameter());
            throw s.origin().error(field.replace(" (from labels)", ""), e.getMessage());
        }
        List<ChainPlan> chain = new ArrayList<>();
        for (int i = 0; i < v.chain().size(); i++) {
            EndpointValidator.ValidLink link = v.chain().get(i);
            SortedMap<String, Object> c = new TreeMap<>(link.entry().constants());
            derived.forEach((name, value) -> {
                if (link.template().constant(name).isPresent()) {
                    c.put(name, value);
                }
            });
            try {
                Constants.encodeAll(link.template(), c);
            } catch (ParameterException e) {
                throw s.origin().error("chain[" + i + "].constants." + e.parameter(), e.getMessage());
            }
            chain.add(new ChainPlan(link.template(), link.build(), c));
        }
        return new EndpointPlan(s.id(), s.interfaceName(), s.namespace(), t, v.build(), constants, identity, s.labels(),
                s.addresses(), s.mac(), policy, chain);
    }
}
