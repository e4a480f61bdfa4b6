package io.kiln.agent.plan;

import io.kiln.template.BuildParameters;
import io.kiln.template.TemplateDescriptor;

import java.util.Collections;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * One template of an endpoint's policy chain, ready to build: its variant and its constants (the
 * spec's plus those the agent derives, ENDPOINT_ID, IDENTITY..., when the template declares them).
 */
public record ChainPlan(TemplateDescriptor template, BuildParameters build, SortedMap<String, Object> constants) {
    public ChainPlan {
        Objects.requireNonNull(template, "template");
        Objects.requireNonNull(build, "build");
        constants = Collections.unmodifiableSortedMap(new TreeMap<>(constants));
    }

    /** {@code syn_guard{ipv6=false,...}[SYN_BUDGET=20;...]}: what decides this link's programs, for the fingerprint. */
    String canonical() {
        return template.name() + "{" + build.canonical() + "}[" + constants.entrySet().stream()
                .map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(";")) + "]";
    }
}
