/**
 * Model I/O and the ViT forward pass, free of Flink.
 *
 * <p>A model directory holds {@code model.json} ({@link org.tocomstream.model.ModelSpec}:
 * architecture, labels, preprocessing, trained compression) and safetensors weights, which {@link
 * org.tocomstream.model.VitCheckpoint} loads into timm's names ({@link
 * org.tocomstream.model.TimmKeys}) as float32 {@link org.tocomstream.model.HostTensor}s; {@link
 * org.tocomstream.model.Safetensors} is the file format underneath. {@link
 * org.tocomstream.model.ImagePreprocessor} turns encoded frames into network inputs exactly as
 * timm's evaluation transform does.
 *
 * <p>{@link org.tocomstream.model.VitModel} runs the forward pass ({@link
 * org.tocomstream.model.VitForward}, block by block in {@code VitBlock}: attention, token
 * reduction, MLP). What varies per call travels in a {@link org.tocomstream.model.ForwardContext}:
 * the compression level, a Token Compensator's {@link org.tocomstream.model.QvAdapter}, in place
 * or not. {@link org.tocomstream.model.VitConfig#geometry()} gives the token geometry that the
 * compression package's token counts and cost model read.
 *
 * <p>Shape legend used in method contracts: B batch, C channels, H/W image height/width in
 * pixels, N tokens (including class and distillation tokens), D token width. Linear weights are
 * {@code [out, in]} as in PyTorch.
 */
package org.tocomstream.model;
