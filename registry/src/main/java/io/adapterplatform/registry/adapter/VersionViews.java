package io.adapterplatform.registry.adapter;

/**
 * Renders a version row as the API shows it (used by the mixlora feature for composed versions).
 */
public interface VersionViews {

  Adapters.AdapterVersion view(Versions.VersionRow row);
}
