/** esbuild bundles imported stylesheets into the build's one `.css` file. */
declare module '*.css'
