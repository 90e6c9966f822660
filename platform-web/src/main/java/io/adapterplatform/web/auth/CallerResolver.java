package io.adapterplatform.web.auth;

import io.adapterplatform.web.problem.ApiException;
import java.util.List;
import org.springdoc.core.utils.SpringDocUtils;
import org.springframework.core.MethodParameter;
import org.springframework.web.bind.support.WebDataBinderFactory;
import org.springframework.web.context.request.NativeWebRequest;
import org.springframework.web.context.request.RequestAttributes;
import org.springframework.web.method.support.HandlerMethodArgumentResolver;
import org.springframework.web.method.support.ModelAndViewContainer;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

/**
 * Hands the authenticated {@link Caller} to controller methods (and hides it from the OpenAPI
 * docs).
 */
class CallerResolver implements WebMvcConfigurer, HandlerMethodArgumentResolver {

  static {
    SpringDocUtils.getConfig().addRequestWrapperToIgnore(Caller.class);
  }

  @Override
  public void addArgumentResolvers(List<HandlerMethodArgumentResolver> resolvers) {
    resolvers.add(this);
  }

  @Override
  public boolean supportsParameter(MethodParameter parameter) {
    return parameter.getParameterType() == Caller.class;
  }

  @Override
  public Object resolveArgument(
      MethodParameter parameter,
      ModelAndViewContainer mav,
      NativeWebRequest request,
      WebDataBinderFactory binderFactory) {
    Object caller = request.getAttribute(AuthFilter.CALLER, RequestAttributes.SCOPE_REQUEST);
    if (caller == null) {
      throw ApiException.unauthorized("an 'Authorization: Bearer <token>' header is required");
    }
    return caller;
  }
}
