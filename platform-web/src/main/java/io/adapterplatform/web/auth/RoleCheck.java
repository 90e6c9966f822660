package io.adapterplatform.web.auth;

import io.adapterplatform.web.problem.ApiException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.servlet.HandlerInterceptor;
import org.springframework.web.servlet.config.annotation.InterceptorRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

/**
 * Enforces {@link RequiresRole} in the interceptor stage, which runs before the body is converted.
 */
@Configuration(proxyBeanMethods = false)
public class RoleCheck implements WebMvcConfigurer, HandlerInterceptor {

  @Override
  public void addInterceptors(InterceptorRegistry registry) {
    registry.addInterceptor(this);
  }

  @Override
  public boolean preHandle(
      HttpServletRequest request, HttpServletResponse response, Object handler) {
    if (handler instanceof HandlerMethod method) {
      RequiresRole required = method.getMethodAnnotation(RequiresRole.class);
      if (required != null) {
        if (!(request.getAttribute(AuthFilter.CALLER) instanceof Caller caller)) {
          throw ApiException.unauthorized("an 'Authorization: Bearer <token>' header is required");
        }
        caller.require(required.value());
      }
    }
    return true;
  }
}
