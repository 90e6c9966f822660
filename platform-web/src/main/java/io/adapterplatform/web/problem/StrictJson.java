package io.adapterplatform.web.problem;

import org.springframework.boot.jackson.autoconfigure.JsonMapperBuilderCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.MediaType;
import org.springframework.http.converter.HttpMessageConverters;
import org.springframework.http.converter.json.JacksonJsonHttpMessageConverter;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.cfg.CoercionAction;
import tools.jackson.databind.cfg.CoercionInputShape;
import tools.jackson.databind.type.LogicalType;

/**
 * Request bodies are read strictly: a JSON number or boolean is not a string. By default Jackson
 * turns {@code "name": 123} into the adapter "123", which hides client bugs; here it is a 400
 * naming the field. The registry's own request bodies ({@link JsonRequestBody}) also reject unknown
 * properties.
 */
@Configuration(proxyBeanMethods = false)
class StrictJson implements WebMvcConfigurer {

  @Bean
  JsonMapperBuilderCustomizer strictScalars() {
    return builder ->
        builder.withCoercionConfig(
            LogicalType.Textual,
            cfg ->
                cfg.setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail));
  }

  @Override
  public void configureMessageConverters(HttpMessageConverters.ServerBuilder builder) {
    builder.configureMessageConverters(
        converter -> {
          if (converter instanceof JacksonJsonHttpMessageConverter json) {
            var strict =
                json.getMapper()
                    .rebuild()
                    .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                    .build();
            json.registerMappersForType(
                JsonRequestBody.class, mappers -> mappers.put(MediaType.APPLICATION_JSON, strict));
          }
        });
  }
}
