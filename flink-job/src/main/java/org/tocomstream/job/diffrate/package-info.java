/** {@code diffrate}: learning DiffRate schedules for a model ({@code diffrate search}). */
package org.tocomstream.job.diffrate;
