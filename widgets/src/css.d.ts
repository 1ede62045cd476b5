// The views import their CSS for its side effect; esbuild bundles it into axis.css.
declare module "*.css";
