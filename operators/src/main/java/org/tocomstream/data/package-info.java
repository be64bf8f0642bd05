/**
 * Synthetic labelled scenes: the data the project trains its demo model on and the frames its demo
 * cameras publish, since no dataset can be downloaded here.
 *
 * <p>{@link org.tocomstream.data.SceneGenerator} is the entry point: {@code sample(i)} renders a
 * labelled still ({@link org.tocomstream.data.Sample}), {@code split(...)} gives independent
 * train/validation/test streams and {@code camera(id)} a {@link
 * org.tocomstream.data.SyntheticCamera} whose {@link org.tocomstream.data.Frame}s show an object
 * moving across the view, over a background that changes every segment or, with {@link
 * org.tocomstream.data.CameraScene#STATIC}, stays for the whole stream as a fixed camera's does.
 * {@link org.tocomstream.data.SceneConfig} sets the look (size, classes, scale, rotation, textures,
 * noise, clutter, segment length, camera scene) and {@link
 * org.tocomstream.data.SceneImages} encodes PNG/JPEG.
 *
 * <p>Classes are shape × colour ({@link org.tocomstream.data.SceneClass}); in the default set of 8,
 * every shape and every colour belongs to two classes, so a classifier must locate the object and
 * read both its outline and its hue, and small objects lose their outline when tokens are merged.
 * Everything is a pure function of (config, seed, split, index) or (…, stream id, frame number),
 * bit-identical on every JVM.
 *
 * <p>The scenes implement the trainer's {@link org.tocomstream.model.train.LabelledImageSource},
 * so training reads them without depending on this package. This package never imports Flink.
 */
package org.tocomstream.data;
