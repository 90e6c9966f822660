package io.adapterplatform.web.openapi;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonInclude.Include;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.swagger.v3.core.converter.AnnotatedType;
import io.swagger.v3.core.converter.ModelConverter;
import io.swagger.v3.core.converter.ModelConverterContext;
import io.swagger.v3.core.util.Json;
import io.swagger.v3.oas.models.media.Schema;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Derives {@code required} and {@code null} types of the API's records from the code that writes
 * and reads them, so that the served document cannot claim more than the JSON does: a component is
 * required unless it is {@code @Nullable} and left out of the JSON when null
 * ({@code @JsonInclude(NON_NULL)} on the record or the component); a {@code @Nullable} component
 * that is always written ({@code nextCursor}) is required and its type admits {@code null}.
 */
final class RecordRequiredness implements ModelConverter {

  private static final Set<Include> OMITS_NULL =
      Set.of(Include.NON_NULL, Include.NON_ABSENT, Include.NON_EMPTY, Include.NON_DEFAULT);

  @Override
  public Schema<?> resolve(
      AnnotatedType type, ModelConverterContext context, Iterator<ModelConverter> chain) {
    if (!chain.hasNext()) {
      return null;
    }
    Schema<?> schema = chain.next().resolve(type, context, chain);
    Class<?> raw = Json.mapper().constructType(type.getType()).getRawClass();
    if (schema == null || !raw.isRecord()) {
      return schema;
    }
    Schema<?> model = schema;
    if (schema.get$ref() != null) {
      model =
          context
              .getDefinedModels()
              .get(schema.get$ref().substring(schema.get$ref().lastIndexOf('/') + 1));
    }
    if (model == null || model.getProperties() == null) {
      return schema;
    }
    Include recordInclusion = inclusion(raw.getAnnotation(JsonInclude.class), Include.ALWAYS);
    List<String> required = new ArrayList<>();
    for (RecordComponent c : raw.getRecordComponents()) {
      String name = jsonName(c);
      Schema<?> property = model.getProperties().get(name);
      if (property == null) {
        continue;
      }
      boolean nullable = c.getAnnotatedType().isAnnotationPresent(Nullable.class);
      boolean omittedWhenNull =
          OMITS_NULL.contains(
              inclusion(c.getAccessor().getAnnotation(JsonInclude.class), recordInclusion));
      if (!nullable || !omittedWhenNull) {
        required.add(name);
      }
      if (nullable && !omittedWhenNull && property.get$ref() == null) {
        if (property.getTypes() == null && property.getType() != null) {
          property.addType(property.getType());
        }
        property.addType("null");
      }
    }
    model.setRequired(required.isEmpty() ? null : required);
    return schema;
  }

  // the property's name on the wire: a component renamed with @JsonProperty ("finish_reason")
  private static String jsonName(RecordComponent c) {
    JsonProperty renamed = c.getAccessor().getAnnotation(JsonProperty.class);
    return renamed == null || renamed.value().isEmpty() ? c.getName() : renamed.value();
  }

  private static Include inclusion(JsonInclude annotation, Include otherwise) {
    return annotation == null || annotation.value() == Include.USE_DEFAULTS
        ? otherwise
        : annotation.value();
  }
}
