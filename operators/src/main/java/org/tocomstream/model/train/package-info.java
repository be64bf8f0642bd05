/**
 * Training a ViT classifier from scratch or a checkpoint, free of Flink.
 *
 * <p>{@link org.tocomstream.model.train.Trainer} is the entry type: AdamW ({@link
 * org.tocomstream.model.train.AdamW}) with warm-up and cosine decay ({@link
 * org.tocomstream.model.train.LrSchedule}) over {@link org.tocomstream.model.train.TrainingData},
 * settings in {@link org.tocomstream.model.train.TrainConfig}, progress as {@link
 * org.tocomstream.model.train.TrainProgress}. Data comes from an image folder ({@link
 * org.tocomstream.model.train.ImageFolderData}) or from any {@link
 * org.tocomstream.model.train.LabelledImageSource} ({@link
 * org.tocomstream.model.train.GeneratedData}), such as the synthetic scenes, which implement that
 * interface: this package depends on no data source.
 */
package org.tocomstream.model.train;
