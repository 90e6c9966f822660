package io.adapterplatform.deploy;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Fields of a typed Kubernetes object that its type does not know. fabric8's model classes accept
 * any field into {@code additionalProperties} (a misspelt {@code readinesProbe}, a string where a
 * number belongs), so deserialising alone proves little: an object is valid against the Kubernetes
 * schema here when nothing in its graph landed there.
 */
final class UnknownFields {

  private UnknownFields() {}

  static List<String> of(Object object) {
    var found = new ArrayList<String>();
    walk(object, "", found);
    return found;
  }

  private static void walk(Object node, String path, List<String> found) {
    switch (node) {
      case null -> {}
      case Collection<?> items -> {
        var i = 0;
        for (var item : items) {
          walk(item, path + "[" + i++ + "]", found);
        }
      }
      case Map<?, ?> map -> map.forEach((k, v) -> walk(v, path + "." + k, found));
      default -> {
        if (node.getClass().getName().startsWith("io.fabric8.kubernetes.api.model")) {
          walkModel(node, path, found);
        }
      }
    }
  }

  private static void walkModel(Object node, String path, List<String> found) {
    for (Method getter : node.getClass().getMethods()) {
      if (getter.getParameterCount() != 0
          || Modifier.isStatic(getter.getModifiers())
          || !getter.getName().startsWith("get")
          || getter.getDeclaringClass() == Object.class
          || getter.getReturnType().isPrimitive()) {
        continue;
      }
      Object value;
      try {
        value = getter.invoke(node);
      } catch (IllegalAccessException | InvocationTargetException e) {
        continue;
      }
      if (getter.getName().equals("getAdditionalProperties")) {
        if (value instanceof Map<?, ?> extra && !extra.isEmpty()) {
          extra.keySet().forEach(k -> found.add(path + "." + k));
        }
      } else {
        walk(value, path + "." + decapitalize(getter.getName().substring(3)), found);
      }
    }
  }

  private static String decapitalize(String name) {
    return name.isEmpty() ? name : Character.toLowerCase(name.charAt(0)) + name.substring(1);
  }
}
