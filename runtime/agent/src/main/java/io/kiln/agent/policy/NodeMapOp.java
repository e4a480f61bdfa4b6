package io.kiln.agent.policy;

import io.kiln.agent.spec.Cidr;

import java.net.InetAddress;

/** One write to a node-wide map. IPv6 keys go to the map's IPv6 twin ({@code ipcache6}, {@code endpoints6}). */
public sealed interface NodeMapOp {

    NodeMap map();

    record IpcacheUpsert(Cidr cidr, int identity) implements NodeMapOp {
        @Override
        public NodeMap map() {
            return NodeMap.IPCACHE;
        }
    }

    record IpcacheDelete(Cidr cidr) implements NodeMapOp {
        @Override
        public NodeMap map() {
            return NodeMap.IPCACHE;
        }
    }

    record ServiceUpsert(ServiceKey key, ServiceValue value) implements NodeMapOp {
        @Override
        public NodeMap map() {
            return NodeMap.SERVICES;
        }
    }

    record ServiceDelete(ServiceKey key) implements NodeMapOp {
        @Override
        public NodeMap map() {
            return NodeMap.SERVICES;
        }
    }

    record BackendUpsert(BackendKey key, BackendValue value) implements NodeMapOp {
        @Override
        public NodeMap map() {
            return NodeMap.BACKENDS;
        }
    }

    record BackendDelete(BackendKey key) implements NodeMapOp {
        @Override
        public NodeMap map() {
            return NodeMap.BACKENDS;
        }
    }

    record LocalEndpointUpsert(InetAddress address, LocalEndpoint value) implements NodeMapOp {
        @Override
        public NodeMap map() {
            return NodeMap.ENDPOINTS;
        }
    }

    record LocalEndpointDelete(InetAddress address) implements NodeMapOp {
        @Override
        public NodeMap map() {
            return NodeMap.ENDPOINTS;
        }
    }
}
