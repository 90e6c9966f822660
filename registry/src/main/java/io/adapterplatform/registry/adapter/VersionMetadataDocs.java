package io.adapterplatform.registry.adapter;

import io.swagger.v3.core.converter.AnnotatedType;
import io.swagger.v3.core.converter.ModelConverters;
import io.swagger.v3.oas.models.media.Schema;
import java.util.List;
import org.springdoc.core.customizers.OpenApiCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The limits of tags as schema keywords: annotations on a {@code Map<String, String>} cannot say
 * what its keys match or how long its values are, so the served document gets them here, as the
 * contract states them.
 */
@Configuration(proxyBeanMethods = false)
class VersionMetadataDocs {

  @Bean
  OpenApiCustomizer tagLimits() {
    return openApi -> {
      if (openApi.getComponents() == null) {
        return;
      }
      // The multipart part is a string on the wire; its JSON shape is documented beside it.
      ModelConverters.getInstance(true)
          .readAll(new AnnotatedType(Adapters.PublishMetadata.class))
          .forEach(openApi.getComponents()::addSchemas);
      var schemas = openApi.getComponents().getSchemas();
      for (String owner :
          List.of("AdapterVersion", "PublishMetadata", "ComposeRequest", "VersionPatch")) {
        Schema<?> schema = schemas.get(owner);
        if (schema == null
            || schema.getProperties() == null
            || schema.getProperties().get("tags") == null) {
          continue;
        }
        Schema<?> tags = schema.getProperties().get("tags");
        tags.setMaxProperties(VersionMetadata.MAX_TAGS);
        tags.setPropertyNames(new Schema<>().pattern(VersionMetadata.TAG_KEY));
        Schema<?> value = new Schema<>().type("string").maxLength(VersionMetadata.MAX_TAG_VALUE);
        value.addType("string");
        tags.setAdditionalProperties(value);
      }
    };
  }
}
