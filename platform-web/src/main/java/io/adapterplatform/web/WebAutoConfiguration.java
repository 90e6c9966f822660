package io.adapterplatform.web;

import io.adapterplatform.web.auth.AuthConfiguration;
import io.adapterplatform.web.auth.RoleCheck;
import io.adapterplatform.web.limits.JsonBodyLimitFilter;
import io.adapterplatform.web.limits.StreamingResponses;
import io.adapterplatform.web.openapi.ApiDocs;
import io.adapterplatform.web.problem.ProblemConfiguration;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.webmvc.autoconfigure.error.ErrorMvcAutoConfiguration;
import org.springframework.context.annotation.Import;

/**
 * The web layer every service shares, registered once per context as an auto-configuration (never
 * by a service's component scan), so that one service alone and all of them in the one-JVM launcher
 * get the same single set of beans. Before Boot's error configuration: its default error controller
 * backs off for ours.
 */
@AutoConfiguration(before = ErrorMvcAutoConfiguration.class)
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@Import({
  ProblemConfiguration.class,
  AuthConfiguration.class,
  ApiDocs.class,
  JsonBodyLimitFilter.class,
  StreamingResponses.class,
  RoleCheck.class
})
public class WebAutoConfiguration {}
