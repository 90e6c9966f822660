package io.adapterplatform.web.problem;

import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;

/**
 * Problem+json everywhere: the MVC advice, the container's error page and valve, strict request
 * JSON.
 */
@Configuration(proxyBeanMethods = false)
@Import({ProblemAdvice.class, ProblemErrorController.class, TomcatProblems.class, StrictJson.class})
public class ProblemConfiguration {}
