package io.adapterplatform.serving.engine;

import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.actuate.endpoint.SecurityContext;
import org.springframework.boot.health.actuate.endpoint.AdditionalHealthEndpointPath;
import org.springframework.boot.health.actuate.endpoint.HealthEndpointGroup;
import org.springframework.boot.health.actuate.endpoint.HealthEndpointGroups;
import org.springframework.boot.health.actuate.endpoint.HealthEndpointGroupsPostProcessor;
import org.springframework.boot.health.actuate.endpoint.HttpCodeStatusMapper;
import org.springframework.boot.health.actuate.endpoint.StatusAggregator;

/**
 * Adds one contributor to the {@code readiness} health group ({@code /actuator/health/readiness},
 * what the chart's readiness probe asks), whether the group was configured, created by Boot's
 * Kubernetes probes, or not there yet (then it is created here with {@code readinessState}, and
 * Boot's probes keep it). Done in code so that a module composed beside others needs no shared
 * {@code management.endpoint.health.group.readiness.include}.
 */
final class ReadinessGroup implements HealthEndpointGroupsPostProcessor {

  static final String READINESS = "readiness";

  private final String member;

  ReadinessGroup(String member) {
    this.member = member;
  }

  @Override
  public HealthEndpointGroups postProcessHealthEndpointGroups(HealthEndpointGroups groups) {
    HealthEndpointGroup existing = groups.get(READINESS);
    HealthEndpointGroup readiness =
        existing != null
            ? new WithMember(existing, member, null)
            : new WithMember(groups.getPrimary(), member, "readinessState");
    Map<String, HealthEndpointGroup> all = new LinkedHashMap<>();
    for (String name : groups.getNames()) {
      all.put(name, groups.get(name));
    }
    all.put(READINESS, readiness);
    return HealthEndpointGroups.of(groups.getPrimary(), all);
  }

  /** {@code delegate}'s settings; its members (or only {@code base} when given) plus one. */
  private record WithMember(HealthEndpointGroup delegate, String member, String base)
      implements HealthEndpointGroup {

    @Override
    public boolean isMember(String name) {
      if (member.equals(name)) {
        return true;
      }
      return base != null ? base.equals(name) : delegate.isMember(name);
    }

    @Override
    public boolean showComponents(SecurityContext securityContext) {
      return delegate.showComponents(securityContext);
    }

    @Override
    public boolean showDetails(SecurityContext securityContext) {
      return delegate.showDetails(securityContext);
    }

    @Override
    public StatusAggregator getStatusAggregator() {
      return delegate.getStatusAggregator();
    }

    @Override
    public HttpCodeStatusMapper getHttpCodeStatusMapper() {
      return delegate.getHttpCodeStatusMapper();
    }

    @Override
    public AdditionalHealthEndpointPath getAdditionalPath() {
      return base != null ? null : delegate.getAdditionalPath();
    }
  }
}
